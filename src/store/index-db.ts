import type { Database, SqlJsStatic } from "sql.js";
import type { ArtifactType } from "../shared/events";
import { migrateIndex, tuneConnection } from "./schema";
import { ARTIFACT_HEAD_COLS, artifactHead, num, optStr, str, type ArtifactHead, type Row } from "./sql";
import { SqlFile } from "./sql-file";

// The index: the small database every process loads whole. It says which segments exist (and which
// generation of each is current), where each flow run lives, each artifact key's latest version, and how
// far each journal has been folded. Its size follows the number of flow runs and keys, not history's bulk.

export interface SegmentInfo {
  id: number;
  /** File name (in data/) of the current generation of its database; undefined before its first write. */
  dbFile?: string;
  datFile: string;
  dbBytes: number;
  datBytes: number;
  flowRuns: number;
  liveRuns: number;
  artifacts: number;
  minCreated?: string;
  maxCreated?: string;
  maxSeq: number;
  /** The latest end or change of anything in it. */
  maxChanged?: string;
  /** The earliest end of an ended run or change of an artifact in it (retention skips it when later). */
  minChanged?: string;
  /** YYYY-MM of when it became current: a new month starts a new segment. */
  month: string;
}

export interface KeySummary extends ArtifactHead {
  key: string;
  segment: number;
  versions: number;
}

export interface KeySegment {
  key: string;
  segment: number;
  versions: number;
  maxSeq: number;
}

export interface JournalRow {
  name: string;
  foldedBytes: number;
  closed: boolean;
  done: boolean;
  /** The segment its runs are homed in (set at its first fold). */
  segment?: number;
}

const SEG_COLS =
  "id, db_file, dat_file, db_bytes, dat_bytes, flow_runs, live_runs, artifacts, min_created, max_created, max_seq, max_changed, min_changed, month";

function segmentInfo(r: Row): SegmentInfo {
  return {
    id: num(r[0]),
    dbFile: optStr(r[1]),
    datFile: str(r[2]),
    dbBytes: num(r[3]),
    datBytes: num(r[4]),
    flowRuns: num(r[5]),
    liveRuns: num(r[6]),
    artifacts: num(r[7]),
    minCreated: optStr(r[8]),
    maxCreated: optStr(r[9]),
    maxSeq: num(r[10]),
    maxChanged: optStr(r[11]),
    minChanged: optStr(r[12]),
    month: str(r[13]),
  };
}

const KEY_COLS = `${ARTIFACT_HEAD_COLS}, segment, versions`;

function keySummary(r: Row): KeySummary {
  return { ...artifactHead(r), key: str(r[2]), segment: num(r[9]), versions: num(r[10]) };
}

export class IndexDb extends SqlFile {
  private constructor(db: Database) {
    super(db);
  }

  static create(SQL: SqlJsStatic): IndexDb {
    const db = new SQL.Database();
    tuneConnection(db);
    migrateIndex(db, "index");
    return new IndexDb(db);
  }

  /** Wraps a loaded index database (already checked and migrated by the caller). */
  static wrap(db: Database): IndexDb {
    return new IndexDb(db);
  }

  // ---- meta ----

  meta(key: string): string | undefined {
    return optStr(this.p.value("SELECT value FROM meta WHERE key = ?", [key]));
  }

  setMeta(key: string, value: string): void {
    this.p.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
  }

  get generation(): number {
    return Number(this.meta("generation") ?? 0);
  }

  /** Takes the next store-wide artifact sequence number. */
  nextSeq(): number {
    const n = Number(this.meta("next_seq") ?? 1);
    this.setMeta("next_seq", String(n + 1));
    return n;
  }

  get currentSegment(): number | undefined {
    const v = this.meta("current_segment");
    return v === undefined ? undefined : Number(v);
  }

  // ---- segments ----

  segments(): SegmentInfo[] {
    return this.p.all(`SELECT ${SEG_COLS} FROM segments ORDER BY id`, [], segmentInfo);
  }

  segment(id: number): SegmentInfo | undefined {
    return this.p.one(`SELECT ${SEG_COLS} FROM segments WHERE id = ?`, [id], segmentInfo);
  }

  putSegment(s: SegmentInfo): void {
    this.p.run(`INSERT OR REPLACE INTO segments (${SEG_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      s.id, s.dbFile ?? null, s.datFile, s.dbBytes, s.datBytes, s.flowRuns, s.liveRuns, s.artifacts, s.minCreated ?? null,
      s.maxCreated ?? null, s.maxSeq, s.maxChanged ?? null, s.minChanged ?? null, s.month,
    ]);
  }

  deleteSegment(id: number): void {
    this.p.run("DELETE FROM segments WHERE id = ?", [id]);
    this.p.run("DELETE FROM run_locator WHERE segment = ?", [id]);
    this.p.run("DELETE FROM key_segments WHERE segment = ?", [id]);
  }

  // ---- where flow runs live ----

  locate(flowRunId: string): number | undefined {
    const v = this.p.value("SELECT segment FROM run_locator WHERE id = ?", [flowRunId]);
    return v === null ? undefined : Number(v);
  }

  /** Flow run ids starting with `prefix` (a range scan of the primary key), at most `limit`. */
  locatePrefix(prefix: string, limit: number): Array<{ id: string; segment: number }> {
    return this.p.all(
      `SELECT id, segment FROM run_locator WHERE id >= ?1 AND id < ?1 || char(1114111) ORDER BY id LIMIT ${Math.floor(limit)}`,
      [prefix],
      (r) => ({ id: str(r[0]), segment: num(r[1]) }),
    );
  }

  putLocation(flowRunId: string, segment: number): void {
    this.p.run("INSERT OR REPLACE INTO run_locator (id, segment) VALUES (?, ?)", [flowRunId, segment]);
  }

  deleteLocation(flowRunId: string): void {
    this.p.run("DELETE FROM run_locator WHERE id = ?", [flowRunId]);
  }

  // ---- artifact keys ----

  keySummary(key: string): KeySummary | undefined {
    return this.p.one(`SELECT ${KEY_COLS} FROM artifact_keys WHERE key = ?`, [key], keySummary);
  }

  keySummaries(type?: ArtifactType): KeySummary[] {
    const where = type !== undefined ? "WHERE type = ?" : "";
    return this.p.all(`SELECT ${KEY_COLS} FROM artifact_keys ${where} ORDER BY seq DESC`, type !== undefined ? [type] : [], keySummary);
  }

  putKeySummary(k: KeySummary): void {
    this.p.run(`INSERT OR REPLACE INTO artifact_keys (${KEY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      k.seq, k.id, k.key, k.type, k.description ?? null, k.flowRunId ?? null, k.taskRunId ?? null, k.created, k.updated, k.segment, k.versions,
    ]);
  }

  deleteKeySummary(key: string): void {
    this.p.run("DELETE FROM artifact_keys WHERE key = ?", [key]);
  }

  /** The segments holding versions of `key`, newest first. */
  keySegments(key: string): KeySegment[] {
    return this.p.all("SELECT key, segment, versions, max_seq FROM key_segments WHERE key = ? ORDER BY max_seq DESC", [key], (r) => ({
      key: str(r[0]),
      segment: num(r[1]),
      versions: num(r[2]),
      maxSeq: num(r[3]),
    }));
  }

  keysOfSegment(segment: number): string[] {
    return this.p.all("SELECT key FROM key_segments WHERE segment = ?", [segment], (r) => str(r[0]));
  }

  putKeySegment(k: KeySegment): void {
    if (k.versions <= 0) {
      this.p.run("DELETE FROM key_segments WHERE key = ? AND segment = ?", [k.key, k.segment]);
      return;
    }
    this.p.run("INSERT OR REPLACE INTO key_segments (key, segment, versions, max_seq) VALUES (?, ?, ?, ?)", [k.key, k.segment, k.versions, k.maxSeq]);
  }

  // ---- journals ----

  journals(): Map<string, JournalRow> {
    const out = new Map<string, JournalRow>();
    for (const j of this.p.all("SELECT name, folded_bytes, closed, done, segment FROM journals", [], (r) => ({
      name: str(r[0]),
      foldedBytes: num(r[1]),
      closed: num(r[2]) === 1,
      done: num(r[3]) === 1,
      segment: r[4] === null ? undefined : num(r[4]),
    }))) out.set(j.name, j);
    return out;
  }

  putJournal(j: JournalRow): void {
    this.p.run("INSERT OR REPLACE INTO journals (name, folded_bytes, closed, done, segment) VALUES (?, ?, ?, ?, ?)", [
      j.name, j.foldedBytes, j.closed ? 1 : 0, j.done ? 1 : 0, j.segment ?? null,
    ]);
  }

  deleteJournal(name: string): void {
    this.p.run("DELETE FROM journals WHERE name = ?", [name]);
  }

}
