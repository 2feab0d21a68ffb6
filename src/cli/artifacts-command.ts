import { isArtifactType } from "../engine/artifacts-data";
import { normalizeTable, type NormalizedTable } from "../shared/table";
import { UserError } from "../engine/errors";
import type { ArtifactType } from "../shared/events";
import type { Artifact, StoreApi } from "../store";
import { parse } from "./args";
import { artifactJson, escapeBlock, formatTime, printJson, quote, table } from "./format";
import { openCliStore } from "./store";
import { cliHome } from "./home-command";

export const ARTIFACTS_USAGE = [
  "flowline artifacts ls [--all] [--key K] [--type T] [--flow-run ID] [--text T] [--limit N] [--json]",
  "flowline artifacts inspect <key> | --id <id> [--json]",
  "flowline artifacts rm <key> | --id <id>",
].join("\n  ");
const USAGE = ARTIFACTS_USAGE.replace(/\n\s+/g, " | ");
const TYPES: readonly ArtifactType[] = ["table", "markdown", "link", "progress", "image"];

export async function artifactsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "ls") return artifactsLs(rest);
  if (sub === "inspect") return artifactsInspect(rest);
  if (sub === "rm") return artifactsRm(rest);
  throw new UserError(`Unknown artifacts command ${sub === undefined ? "(none)" : `'${sub}'`}. Usage: ${USAGE}`);
}

/** Opens the store with every journal folded, runs `use`, closes it (a StoreLookupError exits 2 in main.ts). */
async function withStore<T>(use: (store: StoreApi) => Promise<T> | T): Promise<T> {
  const store = await openCliStore(cliHome().home);
  try {
    await store.sync();
    return await use(store);
  } finally {
    store.close();
  }
}

function oneLine(text: string, max = 48): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A table artifact's rows under its columns, whichever shape it was created in; undefined for anything else. */
function tableOf(a: Artifact): NormalizedTable | undefined {
  if (a.type !== "table") return undefined;
  try {
    return normalizeTable(a.data);
  } catch {
    return undefined;
  }
}

/** A short, readable form of an artifact's data for one table cell. */
function preview(a: Artifact): string {
  const d = a.data as Record<string, unknown> | string | number | undefined;
  const t = tableOf(a);
  if (t !== undefined) return oneLine(`${t.rows.length} row${t.rows.length === 1 ? "" : "s"} × ${t.columns.length} (${t.columns.join(", ")})`);
  if (a.type === "progress" && typeof d === "number") return `${d}%`;
  if (a.type === "link" && d && typeof d === "object") return oneLine(d.text === d.url ? String(d.url) : `${d.text} <${d.url}>`);

  return oneLine(typeof d === "string" ? d : JSON.stringify(d) ?? "");
}

/** The data of one artifact written out for a terminal (tables as text tables, at most 20 rows). */
function render(a: Artifact): string {
  const t = tableOf(a);
  if (t !== undefined) {
    const cells = t.rows.slice(0, 20).map((r) => r.map((v) => oneLine(typeof v === "string" ? v : JSON.stringify(v) ?? "null", 40)));
    const more = t.rows.length > 20 ? `\n… ${t.rows.length - 20} more rows (all of them: --json)` : "";
    return table(t.columns, cells) + more;
  }
  if (a.type === "progress" && typeof a.data === "number") {
    const filled = Math.round(a.data / 5);
    return `[${"#".repeat(filled)}${"-".repeat(20 - filled)}] ${a.data}%`;
  }
  if (a.type === "markdown" && typeof a.data === "string") return escapeBlock(a.data);
  return quote(preview(a));
}

function indent(text: string): string {
  return text.replace(/^/gm, "    ");
}

async function artifactsLs(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      all: { type: "boolean" },
      key: { type: "string" },
      type: { type: "string" },
      "flow-run": { type: "string" },
      text: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new UserError(`artifacts ls takes only options. Usage: ${USAGE}`);
  const type = values.type as string | undefined;
  if (type !== undefined && !isArtifactType(type)) throw new UserError(`--type must be one of ${TYPES.join(", ")}, not '${type}'.`);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UserError(`--limit must be a whole number of at least 1, not ${JSON.stringify(values.limit)}.`);
  }
  const artifacts = await withStore(async (store) => {
    const flowRun = values["flow-run"] as string | undefined;
    const flowRunId = flowRun === undefined ? undefined : (await store.getFlowRun(flowRun, { taskLimit: 0 })).flowRun.id;
    // As Prefect's `artifact ls`: the latest of each key, unless --all or a flow run is asked for.
    const latestOnly = !values.all && flowRunId === undefined;
    return store.listArtifacts({ key: values.key as string | undefined, type, flowRunId, text: values.text as string | undefined, limit, latestOnly });
  });
  if (values.json) printJson(artifacts.map(artifactJson));
  else if (artifacts.length === 0) process.stdout.write(`No artifacts found.${values.all ? "" : " (Artifacts without a key show with --all.)"}\n`);
  else {
    const rows = artifacts.map((a) => [a.id.slice(0, 8), a.key ?? "-", a.type, formatTime(a.created), preview(a)]);
    process.stdout.write(`${table(["ID", "KEY", "TYPE", "CREATED", "DATA"], rows)}\n`);
  }
  return 0;
}

async function artifactsInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { id: { type: "string" }, json: { type: "boolean" } }, USAGE);
  const id = values.id as string | undefined;
  if ((id === undefined) !== (positionals.length === 1) || positionals.length > 1) {
    throw new UserError(`artifacts inspect takes one key, or --id <id>. Usage: ${USAGE}`);
  }
  const versions = await withStore(async (store) => (id !== undefined ? [await store.findArtifact(id)] : store.getArtifactVersions(positionals[0])));
  if (versions.length === 0) throw new UserError(`No artifact has the key '${positionals[0]}'. List keys with: flowline artifacts ls`);
  if (values.json) {
    printJson(versions.map(artifactJson));
    return 0;
  }
  // Every value is data: quote() and escapeBlock() show its control characters as escapes (format.ts).
  const q = quote;
  const out = versions.map((a, i) => {
    const title = id !== undefined ? `Artifact ${q(a.id)}${a.key ? ` (key ${q(a.key)})` : ""}` : `Version ${versions.length - i} of ${versions.length}${i === 0 ? " (latest)" : ""}  ${q(a.id)}`;
    return [
      title,
      `  type ${q(a.type)}  created ${q(formatTime(a.created))}${a.updated !== a.created ? `  updated ${q(formatTime(a.updated))}` : ""}`,
      `  flow run ${q(a.flowRunId ?? "-")}  task run ${q(a.taskRunId ?? "-")}`,
      ...(a.description ? [`  description:`, indent(escapeBlock(a.description))] : []),
      `  data:`,
      indent(render(a)),
    ].join("\n");
  });
  process.stdout.write(`${out.join("\n\n")}\n`);
  return 0;
}

async function artifactsRm(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { id: { type: "string" } }, USAGE);
  const id = values.id as string | undefined;
  if ((id === undefined) !== (positionals.length === 1) || positionals.length > 1) {
    throw new UserError(`artifacts rm takes a key (deletes every version), or --id <id> (one version). Usage: ${USAGE}`);
  }
  const message = await withStore(async (store) => {
    if (id === undefined) {
      const key = positionals[0];
      const n = await store.deleteArtifactKey(key);
      if (n === 0) throw new UserError(`No artifact has the key '${key}'. List keys with: flowline artifacts ls`);
      return `Deleted ${n} version${n === 1 ? "" : "s"} of '${quote(key)}'.`;
    }
    const found = await store.findArtifact(id);
    if (!(await store.deleteArtifact(found.id))) throw new UserError(`No artifact has the id '${id}'.`);
    if (found.key === undefined) return `Deleted artifact ${quote(found.id)}.`;
    const latest = (await store.getArtifactVersions(found.key, { limit: 1, includeData: false }))[0];
    const now = latest ? `its latest is now ${quote(latest.id)} (created ${quote(formatTime(latest.created))})` : "it has no versions left";
    return `Deleted artifact ${quote(found.id)} of '${quote(found.key)}'; ${now}.`;
  });
  process.stdout.write(`${message}\n`);
  return 0;
}
