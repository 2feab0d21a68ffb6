import type { Database, SqlValue } from "sql.js";
import type { ArtifactType, LogLevel, StateType } from "../shared/events";
import type {
  Artifact,
  ArtifactKeySummary,
  ArtifactVersionsOptions,
  CacheEntry,
  FlowRun,
  FlowRunDetail,
  GetLogsOptions,
  ListArtifactsOptions,
  ListFlowRunsOptions,
  LogEntry,
  StateHistoryEntry,
  TaskRun,
} from "./types";

// Read-only queries over a loaded database, returning camelCase rows with parsed JSON. Column lists are
// fixed and read by position (faster than getAsObject, and one place to keep in step with the schema).

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

type Row = SqlValue[];

function all<T>(db: Database, sql: string, params: SqlValue[], map: (row: Row) => T): T[] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: T[] = [];
    while (stmt.step()) out.push(map(stmt.get()));
    return out;
  } finally {
    stmt.free();
  }
}

const str = (v: SqlValue): string => (v === null ? "" : String(v));
const optStr = (v: SqlValue): string | undefined => (v === null ? undefined : String(v));
const optNum = (v: SqlValue): number | undefined => (v === null ? undefined : Number(v));

function parseJson(v: SqlValue): unknown {
  if (v === null) return undefined;
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
}

function strings(v: SqlValue): string[] {
  const parsed = parseJson(v);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

const FLOW_COLS = `id, name, flow_name, parameters, tags, parent_flow_run_id, parent_task_run_id, state_type,
  state_name, state_message, run_count, created, expected_start_time, start_time, end_time, result_key, result,
  file, pid`;

function flowRun(r: Row): FlowRun {
  return {
    id: str(r[0]),
    name: str(r[1]),
    flowName: str(r[2]),
    parameters: parseJson(r[3]) ?? {},
    tags: strings(r[4]),
    parentFlowRunId: optStr(r[5]),
    parentTaskRunId: optStr(r[6]),
    state: { type: str(r[7]) as StateType, name: str(r[8]), message: optStr(r[9]) },
    runCount: Number(r[10]),
    created: str(r[11]),
    expectedStartTime: optStr(r[12]),
    startTime: optStr(r[13]),
    endTime: optStr(r[14]),
    resultKey: optStr(r[15]),
    result: parseJson(r[16]),
    file: optStr(r[17]),
    pid: optNum(r[18]),
  };
}

const TASK_COLS = `id, flow_run_id, name, task_name, parameters, tags, cache_key, state_type, state_name,
  state_message, run_count, created, start_time, end_time, result_key`;

function taskRun(r: Row): TaskRun {
  return {
    id: str(r[0]),
    flowRunId: str(r[1]),
    name: str(r[2]),
    taskName: str(r[3]),
    parameters: parseJson(r[4]) ?? {},
    tags: strings(r[5]),
    cacheKey: optStr(r[6]),
    state: { type: str(r[7]) as StateType, name: str(r[8]), message: optStr(r[9]) },
    runCount: Number(r[10]),
    created: str(r[11]),
    startTime: optStr(r[12]),
    endTime: optStr(r[13]),
    resultKey: optStr(r[14]),
  };
}

export function listFlowRuns(db: Database, opts: ListFlowRunsOptions = {}): FlowRun[] {
  const where = opts.flowName !== undefined ? "WHERE flow_name = ?" : "";
  const params: SqlValue[] = opts.flowName !== undefined ? [opts.flowName] : [];
  const limit = opts.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(opts.limit))}` : "";
  const sql = `SELECT ${FLOW_COLS} FROM flow_runs ${where} ORDER BY created DESC, rowid DESC ${limit}`;
  return all(db, sql, params, flowRun);
}

/** Finds a flow run by its id or a unique prefix of it. */
export function getFlowRun(db: Database, idOrPrefix: string): FlowRunDetail {
  const wanted = idOrPrefix.trim();
  if (wanted === "") {
    throw new StoreLookupError("No flow run id given. Pass an id (or its first characters).", "invalid");
  }
  let runs = all(db, `SELECT ${FLOW_COLS} FROM flow_runs WHERE id = ?`, [wanted], flowRun);
  if (runs.length === 0) {
    runs = all(
      db,
      `SELECT ${FLOW_COLS} FROM flow_runs WHERE substr(id, 1, ?2) = ?1 ORDER BY created DESC LIMIT 6`,
      [wanted, wanted.length],
      flowRun,
    );
  }
  if (runs.length === 0) {
    throw new StoreLookupError(
      `No flow run has an id starting with "${wanted}". List runs with "flowline runs ls".`,
      "not-found",
    );
  }
  if (runs.length > 1) {
    const shown = runs.slice(0, 5).map((r) => `${r.id} (${r.name})`);
    const more = runs.length > 5 ? ", …" : "";
    throw new StoreLookupError(
      `"${wanted}" matches more than one flow run: ${shown.join(", ")}${more}. Give more characters of the id.`,
      "ambiguous",
    );
  }
  const run = runs[0];
  return {
    flowRun: run,
    taskRuns: all(
      db,
      `SELECT ${TASK_COLS} FROM task_runs WHERE flow_run_id = ? ORDER BY created, rowid`,
      [run.id],
      taskRun,
    ),
    subflowRuns: all(
      db,
      `SELECT ${FLOW_COLS} FROM flow_runs WHERE parent_flow_run_id = ? ORDER BY created, rowid`,
      [run.id],
      flowRun,
    ),
  };
}

export function getTaskRun(db: Database, id: string): TaskRun | undefined {
  return all(db, `SELECT ${TASK_COLS} FROM task_runs WHERE id = ?`, [id], taskRun)[0];
}

export function getStateHistory(db: Database, runId: string): StateHistoryEntry[] {
  return all(
    db,
    "SELECT seq, run_id, kind, type, name, message, ts FROM state_history WHERE run_id = ? ORDER BY seq",
    [runId],
    (r) => ({
      seq: Number(r[0]),
      runId: str(r[1]),
      kind: str(r[2]) as "flow" | "task",
      type: str(r[3]) as StateType,
      name: str(r[4]),
      message: optStr(r[5]),
      timestamp: str(r[6]),
    }),
  );
}

export function getLogs(db: Database, opts: GetLogsOptions): LogEntry[] {
  const conds = ["flow_run_id = ?"];
  const params: SqlValue[] = [opts.flowRunId];
  if (opts.taskRunId !== undefined) {
    conds.push("task_run_id = ?");
    params.push(opts.taskRunId);
  }
  if (opts.afterSeq !== undefined) {
    conds.push("seq > ?");
    params.push(opts.afterSeq);
  }
  const map = (r: Row): LogEntry => ({
    seq: Number(r[0]),
    flowRunId: optStr(r[1]),
    taskRunId: optStr(r[2]),
    level: str(r[3]) as LogLevel,
    message: str(r[4]),
    timestamp: str(r[5]),
  });
  const base = `SELECT seq, flow_run_id, task_run_id, level, message, ts FROM logs WHERE ${conds.join(" AND ")}`;
  if (opts.limit === undefined) return all(db, `${base} ORDER BY seq`, params, map);
  // The latest `limit` lines, returned oldest first.
  return all(db, `${base} ORDER BY seq DESC LIMIT ${Math.max(0, Math.floor(opts.limit))}`, params, map).reverse();
}

export function lookupCache(db: Database, cacheKey: string, now: Date): CacheEntry | undefined {
  return all(
    db,
    `SELECT storage_key, task_run_id, expires_at FROM cache
      WHERE cache_key = ? AND (expires_at IS NULL OR expires_at > ?)`,
    [cacheKey, now.toISOString()],
    (r) => ({ storageKey: str(r[0]), taskRunId: optStr(r[1]), expiresAt: optStr(r[2]) }),
  )[0];
}

const ARTIFACT_COLS = [
  "id",
  "key",
  "type",
  "description",
  "data",
  "flow_run_id",
  "task_run_id",
  "created",
  "updated",
  "seq",
];

function artifactCols(includeData: boolean, alias: string): string {
  return ARTIFACT_COLS.map((c) => (c === "data" && !includeData ? "NULL" : `${alias}.${c}`)).join(", ");
}

function artifact(r: Row): Artifact {
  return {
    id: str(r[0]),
    key: optStr(r[1]),
    type: str(r[2]) as ArtifactType,
    description: optStr(r[3]),
    data: parseJson(r[4]),
    flowRunId: optStr(r[5]),
    taskRunId: optStr(r[6]),
    created: str(r[7]),
    updated: str(r[8]),
    seq: Number(r[9]),
  };
}

/** Newest = stored last (seq), as a key's latest is: never the wall clock, which can step back. */
const NEWEST_FIRST = "ORDER BY a.seq DESC";

function limitClause(limit: number | undefined, offset: number | undefined): string {
  const n = (v: number) => Math.max(0, Math.floor(v));
  if (offset !== undefined && offset > 0) return `LIMIT ${limit !== undefined ? n(limit) : -1} OFFSET ${n(offset)}`;
  return limit !== undefined ? `LIMIT ${n(limit)}` : "";
}

/** Artifacts, newest first. `latestOnly` reads the `artifact_latest` table (one row per key). */
export function listArtifacts(db: Database, opts: ListArtifactsOptions = {}): Artifact[] {
  const conds: string[] = [];
  const params: SqlValue[] = [];
  // Numbered placeholders, so one value (the search text) can be used more than once.
  const param = (v: SqlValue): string => {
    params.push(v);
    return `?${params.length}`;
  };
  if (opts.key !== undefined) conds.push(`a.key = ${param(opts.key)}`);
  if (opts.type !== undefined) conds.push(`a.type = ${param(opts.type)}`);
  if (opts.flowRunId !== undefined) conds.push(`a.flow_run_id = ${param(opts.flowRunId)}`);
  if (opts.taskRunId !== undefined) conds.push(`a.task_run_id = ${param(opts.taskRunId)}`);
  if (opts.keyed !== undefined) conds.push(opts.keyed ? "a.key IS NOT NULL" : "a.key IS NULL");
  if (opts.text !== undefined && opts.text !== "") {
    const t = `lower(${param(opts.text)})`;
    const has = (col: string) => `instr(lower(coalesce(${col}, '')), ${t}) > 0`;
    conds.push(`(${has("a.key")} OR ${has("a.description")} OR ${has("a.data")})`);
  }
  const limit = limitClause(opts.limit, opts.offset);
  const cols = artifactCols(opts.includeData ?? true, "a");
  const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  if (!opts.latestOnly) {
    return all(db, `SELECT ${cols} FROM artifacts a ${where} ${NEWEST_FIRST} ${limit}`, params, artifact);
  }
  return all(
    db,
    `SELECT ${cols} FROM artifact_latest l JOIN artifacts a ON a.seq = l.seq ${where}
      ORDER BY l.seq DESC ${limit}`,
    params,
    artifact,
  );
}

/** All versions of a key, newest first. */
export function getArtifactVersions(db: Database, key: string, opts: ArtifactVersionsOptions = {}): Artifact[] {
  const cols = artifactCols(opts.includeData ?? true, "a");
  return all(db, `SELECT ${cols} FROM artifacts a WHERE a.key = ? ${NEWEST_FIRST} ${limitClause(opts.limit, undefined)}`, [key], artifact);
}

export function getArtifact(db: Database, id: string): Artifact | undefined {
  return all(db, `SELECT ${artifactCols(true, "a")} FROM artifacts a WHERE a.id = ?`, [id], artifact)[0];
}

/** An artifact by its id or a unique start of it (the CLI shows 8 characters). */
export function findArtifact(db: Database, idOrPrefix: string): Artifact {
  const wanted = idOrPrefix.trim();
  if (wanted === "") throw new StoreLookupError("No artifact id given. Pass an id (or its first characters).", "invalid");
  const exact = getArtifact(db, wanted);
  if (exact) return exact;
  const found = all(
    db,
    `SELECT ${artifactCols(true, "a")} FROM artifacts a WHERE substr(a.id, 1, ?2) = ?1 ${NEWEST_FIRST} LIMIT 6`,
    [wanted, wanted.length],
    artifact,
  );
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    throw new StoreLookupError(`No artifact has an id starting with "${wanted}". List them with "flowline artifacts ls --all".`, "not-found");
  }
  const shown = found.slice(0, 5).map((a) => `${a.id} (${a.key ?? a.type})`);
  throw new StoreLookupError(
    `"${wanted}" matches more than one artifact: ${shown.join(", ")}${found.length > 5 ? ", …" : ""}. Give more characters of the id.`,
    "ambiguous",
  );
}

/** Every key with its number of versions and its latest version, the key stored to most recently first. */
export function listArtifactKeys(db: Database, opts: { type?: ArtifactType; includeData?: boolean } = {}): ArtifactKeySummary[] {
  const where = opts.type !== undefined ? "WHERE a.type = ?" : "";
  return all(
    db,
    `SELECT ${artifactCols(opts.includeData ?? false, "a")}, l.versions
      FROM artifact_latest l JOIN artifacts a ON a.seq = l.seq ${where} ORDER BY l.seq DESC`,
    opts.type !== undefined ? [opts.type] : [],
    (r) => ({ key: str(r[1]), versions: Number(r[10]), latest: artifact(r) }),
  );
}
