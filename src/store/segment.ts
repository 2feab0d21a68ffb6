import * as path from "node:path";
import type { Database, SqlJsStatic, SqlValue } from "sql.js";
import type { FlowRunIdentity, StateType } from "../shared/events";
import { PayloadAppender, readPayload, type PayloadRef } from "./payload";
import { storedCounts, type HistoryEntry, type StateCounts, type StateFields } from "./records";
import { migrateSegment, tuneConnection } from "./schema";
import { SqlFile } from "./sql-file";
import { ARTIFACT_HEAD_COLS, artifactHead, json, num, optNum, optStr, parseJson, pragmaNumber, rowReader, str, strings, type ArtifactHead, type Row } from "./sql";

// One segment: its database (loaded whole: it is small) and its payload file. Rows are read and written
// here by position; what they mean (states, chunks) is decided by the callers.

/** A payload file named by a segment is gone: a newer index names another. */
export class PayloadMovedError extends Error {
  constructor(file: string) {
    super(`The payload file ${file} was replaced; read again.`);
    this.name = "PayloadMovedError";
  }
}

export interface FlowRow extends StateFields, FlowRunIdentity {
  created: string;
  expectedStartTime?: string;
  /** JSON text of the result preview. */
  resultJson?: string;
  file?: string;
  pid?: number;
  journal?: string;
  taskRuns: number;
  taskStates: StateCounts;
  logs: number;
  logBytes: number;
}

export interface ChunkRow {
  flowRunId: string;
  chunk: number;
  /** Task runs in it. */
  count: number;
  /** Journal lines in it: one per state its runs went through (creation being Pending). */
  lines: number;
  states: StateCounts;
  firstCreated?: string;
  /** The chunk's JSON text while it is open (inline); a full chunk has `ref` instead. */
  doc?: string;
  ref?: PayloadRef;
}

export interface LogChunkRow {
  flowRunId: string;
  chunk: number;
  firstSeq: number;
  count: number;
  bytes: number;
  doc?: string;
  ref?: PayloadRef;
}

export interface ArtifactRow extends ArtifactHead {
  /** JSON text of the data when small; otherwise `ref`. Undefined when read without data. */
  data?: string;
  ref?: PayloadRef;
}

const FLOW_COLS = `id, name, flow_name, parameters, tags, parent_flow_run_id, parent_task_run_id, state_type,
  state_name, state_message, run_count, created, expected_start_time, start_time, end_time, result_key, result,
  file, pid, journal, task_runs, task_states, logs, log_bytes`;

const flowRow: (r: Row) => FlowRow = rowReader<FlowRow>({
  id: str,
  name: str,
  flowName: str,
  parameters: (v) => (parseJson(v) ?? {}) as Record<string, unknown>,
  tags: strings,
  parentFlowRunId: optStr,
  parentTaskRunId: optStr,
  type: (v) => str(v) as StateType,
  stateName: str,
  message: optStr,
  runCount: num,
  created: str,
  expectedStartTime: optStr,
  start: optStr,
  end: optStr,
  resultKey: optStr,
  resultJson: optStr,
  file: optStr,
  pid: optNum,
  journal: optStr,
  taskRuns: num,
  taskStates: (v) => (parseJson(v) ?? {}) as StateCounts,
  logs: num,
  logBytes: num,
});

function flowValues(f: FlowRow): SqlValue[] {
  return [
    f.id, f.name, f.flowName, json(f.parameters), JSON.stringify(f.tags), f.parentFlowRunId ?? null,
    f.parentTaskRunId ?? null, f.type, f.stateName, f.message ?? null, f.runCount, f.created,
    f.expectedStartTime ?? null, f.start ?? null, f.end ?? null, f.resultKey ?? null, f.resultJson ?? null,
    f.file ?? null, f.pid ?? null, f.journal ?? null, f.taskRuns, JSON.stringify(storedCounts(f.taskStates)), f.logs, f.logBytes,
  ];
}

const ref = (off: SqlValue, len: SqlValue, crc: SqlValue): PayloadRef | undefined =>
  off === null || off === undefined ? undefined : { off: Number(off), len: Number(len), crc: Number(crc) };

export const ARTIFACT_COLS = `${ARTIFACT_HEAD_COLS}, data, off, len, crc`;
export const ARTIFACT_COLS_NO_DATA = `${ARTIFACT_HEAD_COLS}, NULL, NULL, NULL, NULL`;

export function artifactRow(r: Row): ArtifactRow {
  return { ...artifactHead(r), data: optStr(r[9]), ref: ref(r[10], r[11], r[12]) };
}

/** An empty segment database with the current schema; with `id`/`datFile`, saying which segment it is. */
export function freshSegmentDatabase(SQL: SqlJsStatic, id: number, datFile?: string): Database {
  const db = new SQL.Database();
  tuneConnection(db);
  migrateSegment(db, `segment ${id}`);
  if (datFile !== undefined) nameSegment(db, id, datFile);
  return db;
}

/** Records which segment a database is and its payload file's name (kept if already there). */
export function nameSegment(db: Database, id: number, datFile: string): void {
  db.run("INSERT OR IGNORE INTO seg_meta (key, value) VALUES ('id', ?), ('dat', ?)", [String(id), path.basename(datFile)]);
}

const BY_SEQ = 100;
const BY_SEQ_PARAMS = Array.from({ length: BY_SEQ }, () => "?").join(", ");

export class Segment extends SqlFile {
  /** Changed since it was loaded: written as a new generation at the next commit. */
  dirty = false;
  private appender: PayloadAppender | undefined;
  /** Payload appends kept in memory instead (an in-memory fold): virtual offsets past any real file. */
  private memory: Map<number, Buffer> | undefined;
  private memoryEnd = 2 ** 50;

  private constructor(
    readonly id: number,
    db: Database,
    /** Absolute path of its payload file. */
    public datFile: string,
  ) {
    super(db);
  }

  static create(SQL: SqlJsStatic, id: number, datFile: string): Segment {
    return Segment.wrap(freshSegmentDatabase(SQL, id, datFile), id, datFile);
  }

  /** A segment around a database made elsewhere (a salvaged one): written at the next commit. */
  static wrap(db: Database, id: number, datFile: string): Segment {
    const seg = new Segment(id, db, datFile);
    seg.dirty = true;
    return seg;
  }

  /** Loads a segment from its file's bytes (migrating an older schema, which makes it dirty). */
  static load(SQL: SqlJsStatic, id: number, bytes: Uint8Array, dbFile: string, datFile: string): Segment {
    const db = new SQL.Database(bytes);
    try {
      tuneConnection(db);
      const migrated = migrateSegment(db, dbFile);
      const seg = new Segment(id, db, datFile);
      seg.dirty = migrated;
      return seg;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  // ---- flow runs ----

  flowRow(id: string): FlowRow | undefined {
    return this.p.one(`SELECT ${FLOW_COLS} FROM flow_runs WHERE id = ?`, [id], flowRow);
  }

  putFlowRow(row: FlowRow): void {
    this.p.run(`INSERT OR REPLACE INTO flow_runs (${FLOW_COLS}) VALUES (${FLOW_COLS.split(",").map(() => "?").join(", ")})`, flowValues(row));
    this.dirty = true;
  }

  deleteFlowRow(id: string): void {
    this.p.run("DELETE FROM flow_runs WHERE id = ?", [id]);
    this.p.run("DELETE FROM flow_states WHERE run_id = ?", [id]);
    this.p.run("DELETE FROM task_chunks WHERE flow_run_id = ?", [id]);
    this.p.run("DELETE FROM log_chunks WHERE flow_run_id = ?", [id]);
    this.dirty = true;
  }

  addFlowState(runId: string, type: StateType, name: string, message: string | undefined, ts: string): void {
    this.p.run("INSERT INTO flow_states (run_id, type, name, message, ts) VALUES (?, ?, ?, ?, ?)", [runId, type, name, message ?? null, ts]);
    this.dirty = true;
  }

  flowStates(runId: string): HistoryEntry[] {
    return this.p.all("SELECT type, name, ts, message FROM flow_states WHERE run_id = ? ORDER BY seq", [runId], (r) => {
      const e: HistoryEntry = [str(r[0]) as StateType, str(r[1]), str(r[2])];
      if (r[3] !== null) e.push(str(r[3]));
      return e;
    });
  }

  /** Ids of the flow runs a journal created; only those not yet ended when `openOnly`. */
  runsOfJournal(journal: string, openOnly: boolean): string[] {
    const open = openOnly ? "AND state_type IN ('Pending', 'Running')" : "";
    return this.p.all(`SELECT id FROM flow_runs WHERE journal = ? ${open} ORDER BY created`, [journal], (r) => str(r[0]));
  }

  /** Ids of the flow runs whose task runs or state may still change. */
  openRuns(): string[] {
    return this.p.all("SELECT id FROM flow_runs WHERE state_type IN ('Pending', 'Running')", [], (r) => str(r[0]));
  }

  subflowRows(parentId: string): FlowRow[] {
    return this.p.all(`SELECT ${FLOW_COLS} FROM flow_runs WHERE parent_flow_run_id = ? ORDER BY created, rowid`, [parentId], flowRow);
  }

  /** Flow runs newest first: at most `limit`, optionally of one flow, optionally only top-level runs. */
  listFlowRows(limit: number, flowName?: string, topLevel?: boolean): FlowRow[] {
    const conds: string[] = [];
    const params: SqlValue[] = [];
    if (flowName !== undefined) {
      conds.push("flow_name = ?");
      params.push(flowName);
    }
    if (topLevel) conds.push("parent_flow_run_id IS NULL");
    const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
    return this.p.all(`SELECT ${FLOW_COLS} FROM flow_runs ${where} ORDER BY created DESC, rowid DESC LIMIT ${Math.max(0, Math.floor(limit))}`, params, flowRow);
  }

  allFlowRows(): FlowRow[] {
    return this.p.all(`SELECT ${FLOW_COLS} FROM flow_runs ORDER BY created, rowid`, [], flowRow);
  }

  // ---- task and log chunks ----

  taskChunks(flowRunId: string, withDoc = true): ChunkRow[] {
    const doc = withDoc ? "doc" : "NULL";
    return this.p.all(
      `SELECT flow_run_id, chunk, count, lines, states, first_created, ${doc}, off, len, crc FROM task_chunks WHERE flow_run_id = ? ORDER BY chunk`,
      [flowRunId],
      (r) => ({
        flowRunId: str(r[0]),
        chunk: num(r[1]),
        count: num(r[2]),
        lines: num(r[3]),
        states: (parseJson(r[4]) ?? {}) as StateCounts,
        firstCreated: optStr(r[5]),
        doc: optStr(r[6]),
        ref: ref(r[7], r[8], r[9]),
      }),
    );
  }

  putTaskChunk(c: ChunkRow): void {
    this.p.run(
      `INSERT OR REPLACE INTO task_chunks (flow_run_id, chunk, count, lines, states, first_created, doc, off, len, crc)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [c.flowRunId, c.chunk, c.count, c.lines, JSON.stringify(storedCounts(c.states)), c.firstCreated ?? null, c.doc ?? null, c.ref?.off ?? null, c.ref?.len ?? null, c.ref?.crc ?? null],
    );
    this.dirty = true;
  }

  logChunks(flowRunId: string, withDoc = true): LogChunkRow[] {
    const doc = withDoc ? "doc" : "NULL";
    return this.p.all(
      `SELECT flow_run_id, chunk, first_seq, count, bytes, ${doc}, off, len, crc FROM log_chunks WHERE flow_run_id = ? ORDER BY chunk`,
      [flowRunId],
      (r) => ({
        flowRunId: str(r[0]),
        chunk: num(r[1]),
        firstSeq: num(r[2]),
        count: num(r[3]),
        bytes: num(r[4]),
        doc: optStr(r[5]),
        ref: ref(r[6], r[7], r[8]),
      }),
    );
  }

  putLogChunk(c: LogChunkRow): void {
    this.p.run(
      `INSERT OR REPLACE INTO log_chunks (flow_run_id, chunk, first_seq, count, bytes, doc, off, len, crc)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [c.flowRunId, c.chunk, c.firstSeq, c.count, c.bytes, c.doc ?? null, c.ref?.off ?? null, c.ref?.len ?? null, c.ref?.crc ?? null],
    );
    this.dirty = true;
  }

  // ---- artifacts ----

  /** Adds an artifact; false when one with its id is here already. */
  insertArtifact(a: ArtifactRow): boolean {
    const n = this.p.run(
      `INSERT OR IGNORE INTO artifacts (${ARTIFACT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [a.seq, a.id, a.key ?? null, a.type, a.description ?? null, a.flowRunId ?? null, a.taskRunId ?? null, a.created, a.updated,
        a.data ?? null, a.ref?.off ?? null, a.ref?.len ?? null, a.ref?.crc ?? null],
    );
    if (n > 0) this.dirty = true;
    return n > 0;
  }

  artifact(id: string, withData = true): ArtifactRow | undefined {
    return this.p.one(`SELECT ${withData ? ARTIFACT_COLS : ARTIFACT_COLS_NO_DATA} FROM artifacts WHERE id = ?`, [id], artifactRow);
  }

  /**
   * The artifacts of these seqs, with their data, in no order: a query for each BY_SEQ of them (a query
   * each cost a listing of 900 keys a third of its time).
   */
  artifactsBySeq(seqs: readonly number[]): ArtifactRow[] {
    const out: ArtifactRow[] = [];
    for (let i = 0; i < seqs.length; i += BY_SEQ) {
      // Always BY_SEQ parameters (the last repeated), so that one prepared statement serves every batch.
      const batch = Array.from({ length: BY_SEQ }, (_, j) => seqs[Math.min(i + j, seqs.length - 1)]);
      out.push(...this.p.all(`SELECT ${ARTIFACT_COLS} FROM artifacts WHERE seq IN (${BY_SEQ_PARAMS})`, batch, artifactRow));
    }
    return out;
  }

  updateArtifact(id: string, data: { data?: string; ref?: PayloadRef }, description: string | undefined, updated: string): boolean {
    const n = this.p.run(
      `UPDATE artifacts SET data = ?, off = ?, len = ?, crc = ?, description = COALESCE(?, description), updated = ? WHERE id = ?`,
      [data.data ?? null, data.ref?.off ?? null, data.ref?.len ?? null, data.ref?.crc ?? null, description ?? null, updated, id],
    );
    if (n > 0) this.dirty = true;
    return n > 0;
  }

  deleteArtifacts(where: string, params: SqlValue[]): number {
    const n = this.p.run(`DELETE FROM artifacts WHERE ${where}`, params);
    if (n > 0) this.dirty = true;
    return n;
  }

  /** The latest version of `key` here (highest seq) and how many versions this segment holds. */
  keyStats(key: string): { latest: ArtifactRow; versions: number } | undefined {
    const versions = num(this.p.value("SELECT count(*) FROM artifacts WHERE key = ?", [key]));
    if (versions === 0) return undefined;
    const latest = this.p.one(`SELECT ${ARTIFACT_COLS_NO_DATA} FROM artifacts WHERE key = ? ORDER BY seq DESC LIMIT 1`, [key], artifactRow);
    return latest ? { latest, versions } : undefined;
  }

  // ---- journals homed here ----

  putJournal(name: string, foldedBytes: number, closed: boolean, done: boolean): void {
    this.p.run("INSERT OR REPLACE INTO seg_journals (name, folded_bytes, closed, done) VALUES (?, ?, ?, ?)", [name, foldedBytes, closed ? 1 : 0, done ? 1 : 0]);
    this.dirty = true;
  }

  deleteJournal(name: string): void {
    this.p.run("DELETE FROM seg_journals WHERE name = ?", [name]);
  }

  journals(): Array<{ name: string; foldedBytes: number; closed: boolean; done: boolean }> {
    return this.p.all("SELECT name, folded_bytes, closed, done FROM seg_journals", [], (r) => ({
      name: str(r[0]),
      foldedBytes: num(r[1]),
      closed: num(r[2]) === 1,
      done: num(r[3]) === 1,
    }));
  }

  // ---- payload ----

  /** Appends bytes to this segment's payload file (durable at commit). */
  append(bytes: Buffer): PayloadRef {
    if (this.memory) {
      const off = this.memoryEnd;
      this.memory.set(off, bytes);
      this.memoryEnd += bytes.length;
      return { off, len: bytes.length, crc: 0 };
    }
    this.appender ??= new PayloadAppender(this.datFile);
    return this.appender.append(bytes);
  }

  /** From now on, payload appends stay in memory (nothing is written to the payload file). */
  keepPayloadInMemory(): void {
    this.memory ??= new Map();
  }

  appendJson(value: unknown): PayloadRef {
    return this.append(Buffer.from(JSON.stringify(value)));
  }

  read(r: PayloadRef): Buffer {
    const held = this.memory?.get(r.off);
    if (held) return held;
    try {
      return readPayload(this.datFile, r);
    } catch (err) {
      // A compaction replaced the file since this segment was loaded: the caller reloads.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new PayloadMovedError(this.datFile);
      throw err;
    }
  }

  /** Switches to a new payload file (after a compaction copied the live records into it). */
  usePayload(file: string): void {
    this.appender?.close();
    this.appender = undefined;
    this.datFile = file;
    this.p.run("INSERT OR REPLACE INTO seg_meta (key, value) VALUES ('dat', ?)", [path.basename(file)]);
  }

  readJson<T>(r: PayloadRef): T {
    return JSON.parse(this.read(r).toString("utf8")) as T;
  }

  /** Makes the payload appends durable (before the index that references them is written). */
  syncPayload(): void {
    this.appender?.sync();
  }

  datSize(): number {
    this.appender ??= new PayloadAppender(this.datFile);
    return this.appender.size;
  }

  /** After deletions (prune, a key deleted): do not write free pages with every later generation. */
  protected override beforeExport(): void {
    const pages = pragmaNumber(this.db, "page_count");
    const free = pragmaNumber(this.db, "freelist_count");
    if (free >= 64 && free * 4 >= pages) this.db.exec("VACUUM");
  }

  override close(): void {
    this.appender?.close();
    super.close();
  }
}
