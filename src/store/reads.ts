import { compareText, type StateType } from "../shared/events";
import { artifactOf, flowRunOf, logEntryOf, taskRunOf } from "./convert";
import type { IndexDb, KeySummary, SegmentInfo } from "./index-db";
import { replayLogs, replayTasks, type TaskRecord } from "./records";
import { ARTIFACT_COLS, ARTIFACT_COLS_NO_DATA, artifactRow, type ArtifactRow, type ChunkRow, type Segment } from "./segment";
import type { SqlValue } from "sql.js";
import type {
  Artifact,
  ArtifactKeySummary,
  ArtifactKeysOptions,
  ArtifactVersionsOptions,
  FlowRun,
  FlowRunDetail,
  GetLogsOptions,
  ListArtifactsOptions,
  ListFlowRunsOptions,
  ListTaskRunsOptions,
  LogEntry,
  StateHistoryEntry,
  TaskRun,
} from "./types";

// The store's queries, over a snapshot: the index and the segments it names, loaded on demand. Each query
// opens only the segments it needs: recent runs come from the newest segments, a run's task runs from its
// home segment's chunks, a key's versions from the segments the index says hold them.

export interface Snapshot {
  readonly index: IndexDb;
  segment(id: number): Segment;
}

/** A lookup that found nothing or too much: the message says which, and what to do. */
export class StoreLookupError extends Error {
  constructor(
    message: string,
    readonly code: "not-found" | "ambiguous" | "invalid",
  ) {
    super(message);
    this.name = "StoreLookupError";
  }
}

const byCreatedDesc = (a: SegmentInfo, b: SegmentInfo) => compareText(b.maxCreated ?? "", a.maxCreated ?? "") || b.id - a.id;

/** Flow runs, newest first (all of them without a limit): read from the newest segments until enough are found. */
export function listFlowRuns(snap: Snapshot, opts: ListFlowRunsOptions = {}): FlowRun[] {
  const limit = Math.max(0, Math.floor(opts.limit ?? Number.MAX_SAFE_INTEGER / 2));
  const offset = Math.max(0, Math.floor(opts.offset ?? 0));
  const want = limit + offset;
  const found: Array<{ run: FlowRun; seg: number }> = [];
  for (const info of snap.index.segments().filter((s) => s.flowRuns > 0).sort(byCreatedDesc)) {
    if (found.length >= want && (info.maxCreated ?? "") < found[want - 1].run.created) break;
    const seg = snap.segment(info.id);
    for (const row of seg.listFlowRows(want, opts.flowName, opts.topLevel)) found.push({ run: flowRunOf(row), seg: info.id });
    found.sort((a, b) => compareText(b.run.created, a.run.created) || b.seg - a.seg);
    found.length = Math.min(found.length, want);
  }
  return found.slice(offset, want).map((f) => f.run);
}

/** A flow run by id or a unique start of it, with its subflow runs and the first page of its task runs. */
export function getFlowRun(snap: Snapshot, idOrPrefix: string, taskLimit = 1000): FlowRunDetail {
  const { id, segment } = locateRun(snap, idOrPrefix);
  const seg = snap.segment(segment);
  const row = seg.flowRow(id);
  if (!row) throw new StoreLookupError(`No flow run has the id "${id}". List runs with "flowline runs ls".`, "not-found");
  return {
    flowRun: flowRunOf(row),
    taskRuns: taskRunsOf(seg, id, 0, taskLimit),
    subflowRuns: seg.subflowRows(id).map(flowRunOf),
  };
}

export function locateRun(snap: Snapshot, idOrPrefix: string): { id: string; segment: number } {
  const wanted = idOrPrefix.trim();
  if (wanted === "") throw new StoreLookupError("No flow run id given. Pass an id (or its first characters).", "invalid");
  const exact = snap.index.locate(wanted);
  if (exact !== undefined) return { id: wanted, segment: exact };
  const found = snap.index.locatePrefix(wanted, 6);
  if (found.length === 0) {
    throw new StoreLookupError(`No flow run has an id starting with "${wanted}". List runs with "flowline runs ls".`, "not-found");
  }
  if (found.length > 1) {
    const shown = found.slice(0, 5).map((r) => {
      const name = snap.segment(r.segment).flowRow(r.id)?.name;
      return name === undefined ? r.id : `${r.id} (${name})`;
    });
    throw new StoreLookupError(
      `"${wanted}" matches more than one flow run: ${shown.join(", ")}${found.length > 5 ? ", …" : ""}. Give more characters of the id.`,
      "ambiguous",
    );
  }
  return found[0];
}

function chunkText(seg: Segment, c: { doc?: string; ref?: ChunkRow["ref"] }): string {
  if (c.doc !== undefined) return c.doc;
  return c.ref ? seg.read(c.ref).toString("utf8") : "";
}

function chunkRecords(seg: Segment, c: ChunkRow): TaskRecord[] {
  return replayTasks(chunkText(seg, c));
}

function taskRunsOf(seg: Segment, flowRunId: string, offset: number, limit: number, state?: StateType): TaskRun[] {
  const out: TaskRun[] = [];
  let skip = offset;
  for (const c of seg.taskChunks(flowRunId)) {
    if (out.length >= limit) break;
    const matching = state === undefined ? c.count : (c.states[state] ?? 0);
    if (skip >= matching) {
      skip -= matching;
      continue;
    }
    for (const r of chunkRecords(seg, c)) {
      if (state !== undefined && r.type !== state) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(taskRunOf(flowRunId, r));
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** A page of a flow run's task runs, in creation order (optionally only those in one state). */
export function listTaskRuns(snap: Snapshot, flowRunId: string, opts: ListTaskRunsOptions = {}): TaskRun[] {
  const { id, segment } = locateRun(snap, flowRunId);
  return taskRunsOf(snap.segment(segment), id, Math.max(0, opts.offset ?? 0), Math.max(0, opts.limit ?? 100), opts.state);
}

function findTaskRecord(snap: Snapshot, flowRunId: string, taskRunId: string): TaskRecord | undefined {
  const segment = snap.index.locate(flowRunId);
  if (segment === undefined) return undefined;
  const seg = snap.segment(segment);
  // The newest chunks first: a task run looked up is usually a recent one.
  for (const c of seg.taskChunks(flowRunId).reverse()) {
    const r = chunkRecords(seg, c).find((t) => t.id === taskRunId);
    if (r) return r;
  }
  return undefined;
}

export function getTaskRun(snap: Snapshot, flowRunId: string, taskRunId: string): TaskRun | undefined {
  const r = findTaskRecord(snap, flowRunId, taskRunId);
  return r ? taskRunOf(flowRunId, r) : undefined;
}

/** The states a flow run (or, given its flow run, a task run) went through, in order. */
export function getStateHistory(snap: Snapshot, runId: string, flowRunId?: string): StateHistoryEntry[] {
  if (flowRunId === undefined || flowRunId === runId) {
    const segment = snap.index.locate(runId);
    if (segment === undefined) return [];
    return snap.segment(segment).flowStates(runId).map(([type, name, timestamp, message], i) => ({ seq: i + 1, runId, kind: "flow", type, name, message, timestamp }));
  }
  const r = findTaskRecord(snap, flowRunId, runId);
  return (r?.history ?? []).map(([type, name, timestamp, message], i) => ({ seq: i + 1, runId, kind: "task", type, name, message, timestamp }));
}

/** Log lines of a flow run, oldest first: all, those after `afterSeq`, or the latest `limit`. */
export function getLogs(snap: Snapshot, opts: GetLogsOptions): LogEntry[] {
  const segment = snap.index.locate(opts.flowRunId);
  if (segment === undefined) return [];
  const seg = snap.segment(segment);
  const chunks = seg.logChunks(opts.flowRunId).filter((c) => opts.afterSeq === undefined || c.firstSeq + c.count - 1 > opts.afterSeq);
  const out: LogEntry[] = [];
  // With a limit, read the chunks from the end and stop once enough lines are found.
  const order = opts.limit !== undefined ? [...chunks].reverse() : chunks;
  for (const c of order) {
    const picked = replayLogs(chunkText(seg, c), c.firstSeq)
      .filter((l) => (opts.afterSeq === undefined || l.seq > opts.afterSeq) && (opts.taskRunId === undefined || l.taskRunId === opts.taskRunId))
      .map((l) => logEntryOf(opts.flowRunId, l));
    if (opts.limit !== undefined) {
      out.unshift(...picked);
      if (out.length >= opts.limit) return out.slice(out.length - opts.limit);
    } else out.push(...picked);
  }
  return out;
}

// ---- artifacts ----

const bySeqDesc = (a: SegmentInfo, b: SegmentInfo) => b.maxSeq - a.maxSeq || b.id - a.id;

function summaryArtifact(k: KeySummary): Artifact {
  return { id: k.id, key: k.key, type: k.type, description: k.description, data: undefined, flowRunId: k.flowRunId, taskRunId: k.taskRunId, created: k.created, updated: k.updated, seq: k.seq };
}

/** The latest versions of keys, with their data: the rows of each segment read together. */
function withDataAll(snap: Snapshot, keys: readonly KeySummary[]): Artifact[] {
  const bySegment = new Map<number, number[]>();
  for (const k of keys) {
    const seqs = bySegment.get(k.segment);
    if (seqs) seqs.push(k.seq);
    else bySegment.set(k.segment, [k.seq]);
  }
  const found = new Map<number, Artifact>();
  for (const [segment, seqs] of bySegment) {
    const seg = snap.segment(segment);
    for (const row of seg.artifactsBySeq(seqs)) found.set(row.seq, artifactOf(seg, row, true));
  }
  return keys.map((k) => found.get(k.seq) ?? summaryArtifact(k));
}

/** Every key with its number of versions and its latest version (without data unless asked), newest first. */
export function listArtifactKeys(snap: Snapshot, opts: ArtifactKeysOptions = {}): ArtifactKeySummary[] {
  const offset = Math.max(0, opts.offset ?? 0);
  const keys = snap.index.keySummaries(opts.type);
  const page = keys.slice(offset, opts.limit === undefined ? undefined : offset + Math.max(0, opts.limit));
  const latest = opts.includeData ? withDataAll(snap, page) : page.map(summaryArtifact);
  return page.map((k, i) => ({ key: k.key, versions: k.versions, latest: latest[i] }));
}

/** All versions of a key, newest first: only the segments that hold them are read. */
export function getArtifactVersions(snap: Snapshot, key: string, opts: ArtifactVersionsOptions = {}): Artifact[] {
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const data = opts.includeData ?? true;
  const out: Artifact[] = [];
  for (const ks of snap.index.keySegments(key)) {
    if (out.length >= limit) break;
    const seg = snap.segment(ks.segment);
    const rows = seg.p.all(`SELECT ${data ? ARTIFACT_COLS : ARTIFACT_COLS_NO_DATA} FROM artifacts WHERE key = ? ORDER BY seq DESC LIMIT ${Math.floor(Math.min(limit - out.length, 1e9))}`, [key], artifactRow);
    for (const r of rows) out.push(artifactOf(seg, r, data));
  }
  // Segments are visited by their newest version; versions may interleave across them.
  return out.sort((a, b) => b.seq - a.seq).slice(0, limit);
}

/** Artifacts, newest first, filtered; reads segments newest first until the page is full. */
export function listArtifacts(snap: Snapshot, opts: ListArtifactsOptions = {}): Artifact[] {
  const data = opts.includeData ?? true;
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const offset = Math.max(0, opts.offset ?? 0);
  if (opts.latestOnly) {
    let keys = snap.index.keySummaries(opts.type);
    if (opts.key !== undefined) keys = keys.filter((k) => k.key === opts.key);
    if (opts.flowRunId !== undefined) keys = keys.filter((k) => k.flowRunId === opts.flowRunId);
    if (opts.taskRunId !== undefined) keys = keys.filter((k) => k.taskRunId === opts.taskRunId);
    if (opts.keyed === false) return [];
    // Without a text filter only the page's rows are read; a text filter must read each key's data.
    if (opts.text === undefined) {
      const page = keys.slice(offset, offset + limit);
      return data ? withDataAll(snap, page) : page.map(summaryArtifact);
    }
    const all = withDataAll(snap, keys).filter((a) => matchesText(a, opts.text));
    return all.slice(offset, offset + limit).map((a) => (data ? a : { ...a, data: undefined }));
  }
  const conds: string[] = [];
  const params: SqlValue[] = [];
  const equal: Array<[string, string | undefined]> = [["key", opts.key], ["type", opts.type], ["flow_run_id", opts.flowRunId], ["task_run_id", opts.taskRunId]];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    conds.push(`${column} = ?`);
    params.push(value);
  }
  if (opts.keyed !== undefined) conds.push(opts.keyed ? "key IS NOT NULL" : "key IS NULL");
  const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  const text = opts.text !== undefined && opts.text !== "" ? opts.text : undefined;
  let segments = snap.index.segments().filter((s) => s.artifacts > 0);
  if (opts.key !== undefined) {
    const holding = new Set(snap.index.keySegments(opts.key).map((k) => k.segment));
    segments = segments.filter((s) => holding.has(s.id));
  } else if (opts.flowRunId !== undefined) {
    const home = snap.index.locate(opts.flowRunId);
    segments = segments.filter((s) => s.id === home);
  }
  const out: Artifact[] = [];
  let skip = offset;
  for (const info of segments.sort(bySeqDesc)) {
    if (out.length >= limit) break;
    const seg = snap.segment(info.id);
    // Text is matched after reading (data may live in the payload file), so pages are cut here.
    const rows = seg.p.all(`SELECT ${data || text ? ARTIFACT_COLS : ARTIFACT_COLS_NO_DATA} FROM artifacts ${where} ORDER BY seq DESC`, params, artifactRow);
    for (const r of rows) {
      const a = artifactOf(seg, r, data || text !== undefined);
      if (!matchesText(a, text)) continue;
      if (skip > 0) {
        skip--;
        continue;
      }
      out.push(data ? a : { ...a, data: undefined });
      if (out.length >= limit) break;
    }
  }
  return out;
}

function matchesText(a: Artifact, text: string | undefined): boolean {
  if (text === undefined || text === "") return true;
  const t = text.toLowerCase();
  const has = (v: string | undefined) => v !== undefined && v.toLowerCase().includes(t);
  return has(a.key) || has(a.description) || (a.data !== undefined && has(JSON.stringify(a.data)));
}

/** The segment holding an artifact, searched newest first. */
export function findArtifactRow(snap: Snapshot, id: string, withData = true): { seg: Segment; row: ArtifactRow } | undefined {
  for (const info of snap.index.segments().filter((s) => s.artifacts > 0).sort(bySeqDesc)) {
    const seg = snap.segment(info.id);
    const row = seg.artifact(id, withData);
    if (row) return { seg, row };
  }
  return undefined;
}

export function getArtifact(snap: Snapshot, id: string, opts: { includeData?: boolean } = {}): Artifact | undefined {
  const data = opts.includeData ?? true;
  const found = findArtifactRow(snap, id, data);
  return found ? artifactOf(found.seg, found.row, data) : undefined;
}

/** An artifact by its id or a unique start of it (the CLI shows 8 characters). */
export function findArtifact(snap: Snapshot, idOrPrefix: string): Artifact {
  const wanted = idOrPrefix.trim();
  if (wanted === "") throw new StoreLookupError("No artifact id given. Pass an id (or its first characters).", "invalid");
  const exact = getArtifact(snap, wanted);
  if (exact) return exact;
  const found: Artifact[] = [];
  for (const info of snap.index.segments().filter((s) => s.artifacts > 0).sort(bySeqDesc)) {
    const seg = snap.segment(info.id);
    const rows = seg.p.all(`SELECT ${ARTIFACT_COLS} FROM artifacts WHERE substr(id, 1, ?2) = ?1 ORDER BY seq DESC LIMIT 6`, [wanted, wanted.length], artifactRow);
    for (const r of rows) found.push(artifactOf(seg, r, true));
    if (found.length > 1) break;
  }
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new StoreLookupError(`No artifact has an id starting with "${wanted}". List them with "flowline artifacts ls --all".`, "not-found");
  }
  const shown = found.slice(0, 5).map((a) => `${a.id} (${a.key ?? a.type})`);
  throw new StoreLookupError(`"${wanted}" matches more than one artifact: ${shown.join(", ")}${found.length > 5 ? ", …" : ""}. Give more characters of the id.`, "ambiguous");
}
