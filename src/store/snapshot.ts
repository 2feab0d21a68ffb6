import type { SqlJsStatic } from "sql.js";
import { dbPath } from "../shared/home";
import { fileSignature, MISSING, type FileSignature } from "./atomic-file";
import { CorruptDatabaseError } from "./db-file";
import { LayoutOneError, loadIndexFile, loadSegment, salvageSegment } from "./files";
import { IndexDb } from "./index-db";
import type { Snapshot } from "./reads";
import { PayloadMovedError, type Segment } from "./segment";

// What a process reads from: the index as last loaded (reloaded when the file changes) and the segments
// it named, kept in a cache bounded in bytes. A segment is cached by the file name of its generation, so
// a cached segment always matches the index that named it.

/** A segment file named by the index is gone: a newer index superseded it. Reload and ask again. */
export class SnapshotMovedError extends Error {}

export class SnapshotReader implements Snapshot {
  private current: IndexDb | undefined;
  private signature: FileSignature = MISSING;
  private readonly cache = new Map<string, { seg: Segment; bytes: number }>();
  private cachedBytes = 0;
  /** A 1.0 database still waiting to be converted: readers see an empty store until then. */
  layoutOne = false;
  /**
   * The index in use is the file on disk as it is, loaded whole: not a 1.0 file, not damaged, not missing,
   * not migrated in memory only, not an in-memory fold. A write would find nothing to convert or repair.
   */
  asOnDisk = false;
  /** Segments of an in-memory fold (adoptShadow), by id; they go when the index on disk changes. */
  private shadow: Map<number, Segment> | undefined;

  constructor(
    private readonly SQL: SqlJsStatic,
    private readonly home: string,
    private readonly maxCacheBytes: number,
    private readonly warn: (message: string) => void,
  ) {}

  get index(): IndexDb {
    if (!this.current) this.reload();
    return this.current as IndexDb;
  }

  /** Reloads the index if the file changed since it was loaded; returns true when it did. */
  reload(): boolean {
    const sig = fileSignature(dbPath(this.home));
    if (this.current && sig === this.signature) return false;
    try {
      const loaded = loadIndexFile(this.SQL, this.home, false);
      this.replace(loaded.index, loaded.signature);
      this.layoutOne = false;
      this.asOnDisk = !loaded.fresh;
    } catch (err) {
      if (err instanceof LayoutOneError) {
        err.db.close();
        this.layoutOne = true;
        this.asOnDisk = false;
        this.replace(IndexDb.create(this.SQL), sig);
        return true;
      }
      if (!(err instanceof CorruptDatabaseError)) throw err;
      this.warn(`${err.message} Showing the last good copy; it is repaired at the next write.`);
      this.asOnDisk = false;
      if (!this.current) this.replace(IndexDb.create(this.SQL), sig);
      return false;
    }
    return true;
  }

  /**
   * Uses an in-memory fold's index and segments (another process held the lock) until the index on disk
   * changes from `base`, the one they were folded on.
   */
  adoptShadow(index: IndexDb, base: FileSignature, segments: Segment[]): void {
    this.replace(index, base);
    this.asOnDisk = false;
    this.shadow = new Map(segments.map((s) => [s.id, s]));
  }

  /** Uses an index (and segments) a write just committed, without reading them back from disk. */
  adopt(index: IndexDb, signature: FileSignature, segments: Segment[]): void {
    this.replace(index, signature);
    this.asOnDisk = true;
    for (const seg of segments) {
      const info = index.segment(seg.id);
      if (info?.dbFile) this.put(info.dbFile, seg, info.dbBytes);
      else seg.close();
    }
  }

  segment(id: number): Segment {
    const shadowed = this.shadow?.get(id);
    if (shadowed) return shadowed;
    const info = this.index.segment(id);
    if (!info) throw new SnapshotMovedError(`segment ${id} is not in the index`);
    const name = info.dbFile ?? `new-${id}`;
    const hit = this.cache.get(name);
    if (hit) {
      // Most recently used last.
      this.cache.delete(name);
      this.cache.set(name, hit);
      return hit.seg;
    }
    let seg: Segment;
    try {
      seg = loadSegment(this.SQL, this.home, info);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new SnapshotMovedError(`segment file ${name} was replaced`);
      if (!(err instanceof CorruptDatabaseError)) throw err;
      // Without the lock nothing is repaired on disk: show what can be read; the next write salvages it.
      seg = salvageSegment(this.SQL, this.home, info, err, false, this.warn);
    }
    this.put(name, seg, info.dbBytes);
    return seg;
  }

  private put(name: string, seg: Segment, bytes: number): void {
    this.cache.set(name, { seg, bytes });
    this.cachedBytes += bytes;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= this.maxCacheBytes || this.cache.size <= 1) break;
      if (k === name) continue;
      v.seg.close();
      this.cache.delete(k);
      this.cachedBytes -= v.bytes;
    }
  }

  private replace(index: IndexDb, signature: FileSignature): void {
    for (const seg of this.shadow?.values() ?? []) seg.close();
    this.shadow = undefined;
    if (this.current !== index) this.current?.close();
    this.current = index;
    this.signature = signature;
    // Segments of generations the new index no longer names are dropped.
    const named = new Set(index.segments().map((s) => s.dbFile).filter((f): f is string => f !== undefined));
    for (const [name, v] of this.cache) {
      if (named.has(name)) continue;
      v.seg.close();
      this.cache.delete(name);
      this.cachedBytes -= v.bytes;
    }
  }

  /** Runs a read; when a segment was superseded under it, reloads the index and tries again. */
  read<T>(fn: (snap: Snapshot) => T): T {
    this.reload();
    for (let attempt = 0; ; attempt++) {
      try {
        return fn(this);
      } catch (err) {
        if (!(err instanceof SnapshotMovedError || err instanceof PayloadMovedError) || attempt >= 3) throw err;
        this.signature = MISSING; // force a reload
        this.reload();
      }
    }
  }

  close(): void {
    for (const v of this.cache.values()) v.seg.close();
    this.cache.clear();
    this.cachedBytes = 0;
    this.current?.close();
    this.current = undefined;
  }
}
