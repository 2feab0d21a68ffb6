import type { SqlJsStatic } from "sql.js";
import { dbPath } from "../shared/home";
import { fileSignature, type FileSignature } from "./atomic-file";
import { loadSegment, newSegmentInfo, removeUnreferenced, salvageSegment, writeIndex, writeSegment } from "./files";
import { CorruptDatabaseError } from "./db-file";
import type { IndexDb, SegmentInfo } from "./index-db";
import { Segment } from "./segment";
import { num, optStr } from "./sql";
import { segmentPaths } from "./files";

// One write, under the home's lock: the index as it was on disk, the segments this write touched, and
// the commit that writes them. Segments are written as new generations first, the index last; the index
// rename is the commit point (see docs/STORE.md).

export interface TxOptions {
  /** A segment takes no new flow runs once its database is this big. */
  segmentLimit: number;
  now: () => Date;
  warn: (message: string) => void;
  /**
   * An in-memory write (another process holds the lock): segments are checked but never salvaged to disk,
   * and payload appends stay in memory. Such a write is never committed.
   */
  shadow?: boolean;
}

/** The index on disk changed although we hold the lock (it was broken, or the file was replaced). */
export class IndexMovedError extends Error {
  constructor(file: string) {
    super(`The Flowline index ${file} was replaced by another process during this write; the write is redone on top of it.`);
    this.name = "IndexMovedError";
  }
}

export class WriteTx {
  private readonly loaded = new Map<number, Segment>();

  constructor(
    readonly SQL: SqlJsStatic,
    readonly home: string,
    readonly index: IndexDb,
    private readonly signature: FileSignature,
    private readonly opts: TxOptions,
  ) {
    index.begin();
  }

  now(): Date {
    return this.opts.now();
  }

  info(id: number): SegmentInfo {
    const info = this.index.segment(id);
    if (!info) throw new Error(`The Flowline index names segment ${id}, which it does not list; the index is inconsistent.`);
    return info;
  }

  segment(id: number): Segment {
    let seg = this.loaded.get(id);
    if (!seg) {
      const info = this.info(id);
      try {
        // Under the lock each segment is checked (quick_check) before rows are added to it.
        seg = loadSegment(this.SQL, this.home, info, !this.opts.shadow);
      } catch (err) {
        if (!(err instanceof CorruptDatabaseError)) throw err;
        seg = salvageSegment(this.SQL, this.home, info, err, !this.opts.shadow, this.opts.warn);
      }
      if (this.opts.shadow) seg.keepPayloadInMemory();
      seg.begin();
      this.loaded.set(id, seg);
    }
    return seg;
  }

  /** A segment this write has loaded already, if it has. */
  loadedSegment(id: number): Segment | undefined {
    return this.loaded.get(id);
  }

  /** The segment that takes new flow runs: a new one when the current one is full or from another month. */
  currentSegment(): number {
    const month = this.opts.now().toISOString().slice(0, 7);
    const id = this.index.currentSegment;
    const info = id !== undefined ? this.index.segment(id) : undefined;
    if (info && info.month === month && this.sizeOf(info) < this.opts.segmentLimit) return info.id;
    const next = Number(this.index.meta("next_segment") ?? 1);
    const fresh = newSegmentInfo(next, month);
    this.index.putSegment(fresh);
    this.index.setMeta("next_segment", String(next + 1));
    this.index.setMeta("current_segment", String(next));
    const seg = Segment.create(this.SQL, next, segmentPaths(this.home, fresh).dat);
    if (this.opts.shadow) seg.keepPayloadInMemory();
    seg.begin();
    this.loaded.set(next, seg);
    return next;
  }

  private sizeOf(info: SegmentInfo): number {
    const seg = this.loaded.get(info.id);
    if (!seg || !seg.dirty) return info.dbBytes;
    const pages = num(seg.db.exec("PRAGMA page_count")[0]?.values[0]?.[0] ?? 0);
    return pages * num(seg.db.exec("PRAGMA page_size")[0]?.values[0]?.[0] ?? 0);
  }

  /** Brings the index's summary of every changed segment in memory up to date (without writing it). */
  refreshInfos(): void {
    for (const seg of this.loaded.values()) {
      if (!seg.dirty) continue;
      const info = this.info(seg.id);
      refreshSegmentInfo(info, seg);
      this.index.putSegment(info);
    }
  }

  /** Segments in memory for this write. */
  loadedSegments(): Segment[] {
    return [...this.loaded.values()];
  }

  /** Writes one segment now and lets it go (for writes that visit many segments in bounded memory). */
  flushSegment(id: number): void {
    const seg = this.loaded.get(id);
    if (!seg) return;
    if (seg.dirty) this.writeOne(seg);
    seg.close();
    this.loaded.delete(id);
  }

  /** Writes and lets go of every segment in memory but the current one (bounded memory in long writes). */
  flushOthers(): void {
    const current = this.index.currentSegment;
    for (const seg of [...this.loaded.values()]) if (seg.id !== current) this.flushSegment(seg.id);
  }

  /** Drops a segment from the store: its files go when the index that no longer names it is written. */
  dropSegment(id: number): void {
    this.loaded.get(id)?.close();
    this.loaded.delete(id);
    this.index.deleteSegment(id);
    if (this.index.currentSegment === id) this.index.setMeta("current_segment", "0");
  }

  private writeOne(seg: Segment): void {
    const info = this.info(seg.id);
    refreshSegmentInfo(info, seg);
    const { dbFile, dbBytes } = writeSegment(this.home, info, seg);
    info.dbFile = dbFile;
    info.dbBytes = dbBytes;
    info.datBytes = seg.datSize();
    this.index.putSegment(info);
  }

  /** True when anything in memory must be written. */
  get dirty(): boolean {
    for (const seg of this.loaded.values()) if (seg.dirty) return true;
    return false;
  }

  /**
   * Commits: writes the changed segments as new generations, then the index (the commit point), then
   * removes the files no index names. Throws IndexMovedError when the index on disk is not the one this
   * write started from (nothing is committed then).
   */
  commit(): FileSignature {
    if (this.opts.shadow) throw new Error("An in-memory write is never committed.");
    const file = dbPath(this.home);
    if (fileSignature(file) !== this.signature) throw new IndexMovedError(file);
    for (const seg of this.loaded.values()) if (seg.dirty) this.writeOne(seg);
    if (fileSignature(file) !== this.signature) throw new IndexMovedError(file);
    const signature = writeIndex(this.home, this.index);
    removeUnreferenced(this.home, this.index);
    return signature;
  }

  close(): void {
    for (const seg of this.loaded.values()) seg.close();
    this.loaded.clear();
  }
}

/** Brings a segment's summary in the index up to date with its rows (cheap: the segment is small). */
export function refreshSegmentInfo(info: SegmentInfo, seg: Segment): void {
  const runs = seg.db.exec(
    `SELECT count(*), coalesce(sum(state_type IN ('Pending', 'Running')), 0), min(created), max(created),
       max(coalesce(end_time, created)),
       min(CASE WHEN state_type NOT IN ('Pending', 'Running') THEN coalesce(end_time, created) END) FROM flow_runs`,
  )[0]?.values[0] ?? [];
  const arts = seg.db.exec("SELECT count(*), coalesce(max(seq), 0), max(updated), min(updated) FROM artifacts")[0]?.values[0] ?? [];
  info.flowRuns = num(runs[0] ?? 0);
  info.liveRuns = num(runs[1] ?? 0);
  info.minCreated = optStr(runs[2] ?? null);
  info.maxCreated = optStr(runs[3] ?? null);
  info.artifacts = num(arts[0] ?? 0);
  info.maxSeq = Math.max(info.maxSeq, num(arts[1] ?? 0));
  const defined = (...v: (string | undefined)[]) => v.filter((x): x is string => x !== undefined).sort();
  const changed = defined(optStr(runs[4] ?? null), optStr(arts[2] ?? null));
  info.maxChanged = changed[changed.length - 1];
  info.minChanged = defined(optStr(runs[5] ?? null), optStr(arts[3] ?? null))[0];
}
