import * as fs from "node:fs";
import * as path from "node:path";
import type { Database, SqlJsStatic } from "sql.js";
import { dbPath } from "../shared/home";
import { fileSignature, readFileWithSignature, writeFileAtomic, type FileSignature } from "./atomic-file";
import { CorruptDatabaseError, keepAside } from "./db-file";
import { salvageDatabase, salvageMessage } from "./salvage";
import { IndexDb, type SegmentInfo } from "./index-db";
import { dataDir, parseSegmentFileName, segmentDatName, segmentDbName } from "./layout";
import { isLayoutOne, migrateIndex, NewerSchemaError, schemaVersion, INDEX_SCHEMA_VERSION, tuneConnection } from "./schema";
import { freshSegmentDatabase, nameSegment, Segment } from "./segment";

// The store's files on disk: loading the index and segments, writing new generations, and removing the
// files no index names any more. Every write goes to a new file name or through an atomic rename, so a
// reader sees a whole file or none, and the index rename is the single point where a write commits.

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

export interface LoadedIndex {
  index: IndexDb;
  signature: FileSignature;
  /** A new index (no file yet) or one migrated in memory: it must be written. */
  fresh: boolean;
}

/** What loadIndexFile found when the file is a Flowline 1.0 database: it must be converted first. */
export class LayoutOneError extends Error {
  constructor(readonly file: string, readonly db: Database) {
    super(`${file} is a Flowline 1.0 database; it is converted to the segmented layout on the next write.`);
    this.name = "LayoutOneError";
  }
}

/** Opens SQLite bytes as a database, or says clearly why they are not one. */
function checkHeader(file: string, bytes: Uint8Array): void {
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(16, bytes.length));
  if (!header.equals(SQLITE_HEADER)) throw new CorruptDatabaseError(file, "it does not start with a SQLite header");
}

/** SQLite's quick check of an open database: undefined when it is sound, else what it found. */
export function quickCheckProblem(db: Database): string | undefined {
  const result = db.exec("PRAGMA quick_check")[0]?.values.map((r) => String(r[0])) ?? [];
  return result.length === 1 && result[0] === "ok" ? undefined : `quick_check: ${result.slice(0, 3).join("; ") || "no answer"}`;
}

export function openDatabaseBytes(SQL: SqlJsStatic, file: string, bytes: Uint8Array, check: boolean): Database {
  checkHeader(file, bytes);
  let db: Database;
  try {
    db = new SQL.Database(bytes);
  } catch (err) {
    throw new CorruptDatabaseError(file, (err as Error).message);
  }
  try {
    tuneConnection(db);
    schemaVersion(db);
    const problem = check ? quickCheckProblem(db) : undefined;
    if (problem !== undefined) throw new Error(problem);
  } catch (err) {
    db.close();
    throw new CorruptDatabaseError(file, (err as Error).message);
  }
  return db;
}

/**
 * Loads the index of `home`. A missing or empty file is a new, empty index. Throws CorruptDatabaseError,
 * NewerSchemaError, or LayoutOneError (a 1.0 database, returned open for conversion).
 */
export function loadIndexFile(SQL: SqlJsStatic, home: string, check: boolean): LoadedIndex {
  const file = dbPath(home);
  const read = readFileWithSignature(file);
  if (!read || read.bytes.length === 0) return { index: IndexDb.create(SQL), signature: read?.signature ?? fileSignature(file), fresh: true };
  const db = openDatabaseBytes(SQL, file, read.bytes, check);
  if (isLayoutOne(db)) throw new LayoutOneError(file, db);
  const version = schemaVersion(db);
  // Not an index this Flowline knows: a newer one, or a schema between 1.0's and the index's.
  if (version > INDEX_SCHEMA_VERSION || (version > 0 && version <= 100)) {
    db.close();
    throw new NewerSchemaError(file, version);
  }
  const migrated = migrateIndex(db, file);
  return { index: IndexDb.wrap(db), signature: read.signature, fresh: migrated };
}

export function segmentPaths(home: string, info: SegmentInfo): { db?: string; dat: string } {
  const dir = dataDir(home);
  return { db: info.dbFile ? path.join(dir, info.dbFile) : undefined, dat: path.join(dir, info.datFile) };
}

/**
 * Salvages a damaged segment: every row that can be read goes into a new database (written as the
 * segment's next generation at the next commit, or, without the lock, only shown); the damaged file is kept
 * beside it as `<file>.corrupt-<time>`. `tell` gets the message with what was recovered and lost.
 */
export function salvageSegment(SQL: SqlJsStatic, home: string, info: SegmentInfo, cause: CorruptDatabaseError, keep: boolean, tell: (m: string) => void): Segment {
  const files = segmentPaths(home, info);
  const file = files.db as string;
  // Every row is copied from the damaged file (its own facts too); what it lost of those is set again after.
  const { db, report } = salvageDatabase(SQL, fs.readFileSync(file), () => freshSegmentDatabase(SQL, info.id));
  nameSegment(db, info.id, files.dat);
  if (keep) {
    const aside = keepAside(file);
    tell(salvageMessage(cause, report, file, aside));
  } else {
    tell(`${cause.message} Showing the ${report.recovered} rows that could be read; the next write salvages it into a new file and keeps the original.`);
  }
  return Segment.wrap(db, info.id, files.dat);
}

/** Loads a segment named by the index. ENOENT means a newer index superseded it: the caller reloads. */
export function loadSegment(SQL: SqlJsStatic, home: string, info: SegmentInfo, check = false): Segment {
  const files = segmentPaths(home, info);
  if (!files.db) return Segment.create(SQL, info.id, files.dat);
  const bytes = fs.readFileSync(files.db);
  if (!check) {
    checkHeader(files.db, bytes);
    try {
      return Segment.load(SQL, info.id, bytes, files.db, files.dat);
    } catch (err) {
      if (err instanceof NewerSchemaError) throw err;
      throw new CorruptDatabaseError(files.db, (err as Error).message);
    }
  }
  openDatabaseBytes(SQL, files.db, bytes, true).close();
  return Segment.load(SQL, info.id, bytes, files.db, files.dat);
}

export function newSegmentInfo(id: number, month: string): SegmentInfo {
  return { id, datFile: segmentDatName(id, 0), dbBytes: 0, datBytes: 0, flowRuns: 0, liveRuns: 0, artifacts: 0, maxSeq: 0, month };
}

/** Writes a segment as its next generation (durably); returns the new file name and its size. */
export function writeSegment(home: string, info: SegmentInfo, seg: Segment): { dbFile: string; dbBytes: number } {
  seg.syncPayload();
  const bytes = seg.export();
  fs.mkdirSync(dataDir(home), { recursive: true });
  // A generation's file is written once and never replaced: a writer that lost its lock (deleted, or broken
  // by Flowline 1.0) and started from the same index must not overwrite what the other one committed; it
  // takes the next free name, and its commit then finds the index moved and folds again.
  for (let gen = info.dbFile ? (parseSegmentFileName(info.dbFile)?.n ?? 0) + 1 : 1; ; gen++) {
    const dbFile = segmentDbName(info.id, gen);
    try {
      writeFileAtomic(path.join(dataDir(home), dbFile), bytes, true);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw err;
    }
    seg.dirty = false;
    return { dbFile, dbBytes: bytes.length };
  }
}

/** Writes the index (the commit point of every write); returns its new signature. */
export function writeIndex(home: string, index: IndexDb): FileSignature {
  index.setMeta("generation", String(index.generation + 1));
  return writeFileAtomic(dbPath(home), index.export());
}

/**
 * Removes the files in data/ that the index does not name (superseded generations, compacted payloads,
 * pruned segments, files of writes that never committed). Only under the lock; temp files of live
 * writers start with "." and are left to their owners.
 */
export function removeUnreferenced(home: string, index: IndexDb): number {
  const keep = new Set<string>();
  for (const s of index.segments()) {
    if (s.dbFile) keep.add(s.dbFile);
    keep.add(s.datFile);
  }
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dataDir(home));
  } catch {
    return 0;
  }
  for (const name of names) {
    if (keep.has(name) || !parseSegmentFileName(name)) continue;
    try {
      fs.unlinkSync(path.join(dataDir(home), name));
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}
