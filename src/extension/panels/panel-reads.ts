import type { NormalizedTable } from "../../shared/table";
import type { StoreApi } from "../../store/api";
import type { Artifact } from "../../store/types";
import { chunkEnd, rawTextOf, shapeTable, type ShapedTable } from "./artifact-content";
import type { Cell, RunLink, VersionInfo } from "../../shared/panel-protocol";

// What an artifact panel reads, done in the store's worker thread (store-extras.ts): a table is parsed,
// normalised and cut into chunks there, so a 100,000-row table never crosses to the extension host whole
// (structured cloning it costs the receiving thread most of a second) and only a chunk at a time does.

/** One chunk of a table's rows: `rows` are rows start..end-1 of `total`. */
export interface RowsPage {
  start: number;
  end: number;
  total: number;
  rows: Cell[][];
}

export interface PanelRead {
  /** The artifact shown (the latest version when following); a table's `data` is left out. */
  artifact: Artifact;
  /** Every version of its key, newest first (empty for an unkeyed artifact). */
  versions: VersionInfo[];
  following: boolean;
  flowRun?: RunLink;
  taskRun?: RunLink;
  /** A table, shaped: its body, raw JSON when small, and its first rows. */
  table?: ShapedTable & { first?: RowsPage };
}

/** What a panel checks when the store changed: the versions of its key, and when the artifact last changed. */
export interface PanelState {
  versions: VersionInfo[];
  /** Undefined when the artifact is gone. */
  updated?: string;
}

/** Normalised tables kept for paging, by artifact id and version time; the latest two (two panels). */
const tables = new Map<string, NormalizedTable>();
const KEPT_TABLES = 2;

function remember(a: Artifact, table: NormalizedTable): void {
  const key = `${a.id}@${a.updated}`;
  tables.delete(key);
  tables.set(key, table);
  while (tables.size > KEPT_TABLES) tables.delete(tables.keys().next().value as string);
}

function page(table: NormalizedTable, start: number): RowsPage {
  const end = chunkEnd(table.rows, start);
  return { start, end, total: table.rows.length, rows: table.rows.slice(start, end) };
}

export async function panelArtifact(store: StoreApi, id: string, following: boolean): Promise<PanelRead | undefined> {
  let artifact = await store.getArtifact(id);
  if (!artifact) return undefined;
  let versions: VersionInfo[] = [];
  let follow = false;
  if (artifact.key !== undefined) {
    const metas = await store.getArtifactVersions(artifact.key, { includeData: false });
    versions = metas.map(versionInfo);
    follow = following || metas[0]?.id === artifact.id;
    if (follow && metas[0] && metas[0].id !== artifact.id) artifact = (await store.getArtifact(metas[0].id)) ?? artifact;
  }
  const read: PanelRead = { artifact, versions, following: follow, ...(await runLinks(store, artifact)) };
  if (artifact.type !== "table") return read;
  const { table, ...shaped } = shapeTable(artifact);
  if (table) remember(artifact, table);
  return { ...read, artifact: { ...artifact, data: undefined }, table: { ...shaped, first: table ? page(table, 0) : undefined } };
}

/** The chunk of a table's rows from `start`; undefined when the artifact is gone or changed since `updated`. */
export async function tableRows(store: StoreApi, id: string, updated: string, start: number): Promise<RowsPage | undefined> {
  let table = tables.get(`${id}@${updated}`);
  if (!table) {
    const a = await store.getArtifact(id);
    if (!a || a.updated !== updated || a.type !== "table") return undefined;
    table = shapeTable(a).table;
    if (!table) return undefined;
    remember(a, table);
  }
  return page(table, Math.max(0, Math.min(start, table.rows.length)));
}

/** The Raw view's text of an artifact (a big table's JSON is made only when the reader asks). */
export async function artifactRaw(store: StoreApi, id: string): Promise<string | undefined> {
  const a = await store.getArtifact(id);
  return a ? rawTextOf(a) : undefined;
}

/** An artifact without its data (read whole in the worker; only the rest crosses). */
export async function artifactMeta(store: StoreApi, id: string): Promise<Artifact | undefined> {
  const a = await store.getArtifact(id);
  return a && { ...a, data: undefined };
}

/** The versions of `key` and when artifact `id` last changed, read without any artifact's data. */
export async function panelState(store: StoreApi, id: string, key: string | undefined, flowRunId: string | undefined): Promise<PanelState> {
  if (key !== undefined) {
    const metas = await store.getArtifactVersions(key, { includeData: false });
    return { versions: metas.map(versionInfo), updated: metas.find((m) => m.id === id)?.updated };
  }
  // Unkeyed: its run's artifacts are listed without data; one outside any run is read whole.
  const meta = flowRunId
    ? (await store.listArtifacts({ flowRunId, keyed: false, includeData: false })).find((m) => m.id === id)
    : await artifactMeta(store, id);
  return { versions: [], updated: meta?.updated };
}

function versionInfo(a: Artifact): VersionInfo {
  return { id: a.id, created: a.created };
}

async function runLinks(store: StoreApi, a: Artifact): Promise<{ flowRun?: RunLink; taskRun?: RunLink }> {
  if (!a.flowRunId) return a.taskRunId ? { taskRun: { id: a.taskRunId } } : {};
  let flowRun: RunLink;
  try {
    flowRun = { id: a.flowRunId, name: (await store.getFlowRun(a.flowRunId, { taskLimit: 0 })).flowRun.name };
  } catch {
    flowRun = { id: a.flowRunId }; // the run was pruned; the id still helps
  }
  const taskRun = a.taskRunId ? { id: a.taskRunId, name: (await store.getTaskRun(a.flowRunId, a.taskRunId))?.name } : undefined;
  return { flowRun, taskRun };
}
