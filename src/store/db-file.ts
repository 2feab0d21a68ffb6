import * as fs from "node:fs";
import type { Database, SqlJsStatic } from "sql.js";
import { MISSING, readFileWithSignature, type FileSignature } from "./atomic-file";
import { migrate, NewerSchemaError, schemaVersion, SCHEMA_VERSION } from "./schema";

// Turning the database file into an in-memory sql.js database: checks it is SQLite and intact, refuses a
// newer schema, migrates an older one. Salvaging a corrupt file is left to callers holding the lock.

export class CorruptDatabaseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`The Flowline database ${file} is damaged or not a SQLite file (${reason}).`);
    this.name = "CorruptDatabaseError";
  }
}

export interface LoadedDatabase {
  db: Database;
  /** Signature of the file version loaded (MISSING when there was none). */
  signature: FileSignature;
  /** The in-memory database differs from the file (new, or migrated) and should be written. */
  dirty: boolean;
}

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/**
 * Connection settings, lost whenever sql.js reopens the database (every load and every export()). The file
 * already lives in memory (Emscripten's MEMFS), so: keep the rollback journal in memory too, and give the
 * page cache room (32 MiB) so a big fold does not spill mid-transaction and reads do not copy the same
 * pages out of MEMFS again and again.
 */
export function tuneConnection(db: Database): void {
  db.exec("PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -32768");
}

/**
 * Rebuilds the database without its free pages when they are a large part of it (after deleting many runs
 * or a big table): every write exports the whole file, free pages included. Outside any transaction.
 */
export function compactIfSparse(db: Database): boolean {
  const count = (pragma: string) => Number(db.exec(`PRAGMA ${pragma}`)[0]?.values[0]?.[0] ?? 0);
  const free = count("freelist_count");
  if (free < 64 || free * 4 < count("page_count")) return false;
  db.exec("VACUUM");
  return true;
}

export function freshDatabase(SQL: SqlJsStatic, file: string): Database {
  const db = new SQL.Database();
  tuneConnection(db);
  migrate(db, file);
  return db;
}

/**
 * Loads `file`. Throws CorruptDatabaseError (file left as it is) or NewerSchemaError. `check` runs
 * SQLite's quick_check, which reads every page: worth it under the lock, where a bad file would be
 * written over otherwise.
 */
export function loadDatabase(SQL: SqlJsStatic, file: string, check: boolean): LoadedDatabase {
  const read = readFileWithSignature(file);
  // A missing or empty file is an empty database (SQLite's own rule): nothing to keep.
  if (!read) return { db: freshDatabase(SQL, file), signature: MISSING, dirty: true };
  if (read.bytes.length === 0) return { db: freshDatabase(SQL, file), signature: read.signature, dirty: true };

  const header = Buffer.from(read.bytes.buffer, read.bytes.byteOffset, Math.min(16, read.bytes.length));
  if (!header.equals(SQLITE_HEADER)) throw new CorruptDatabaseError(file, "it does not start with a SQLite header");

  let db: Database;
  try {
    db = new SQL.Database(read.bytes);
  } catch (err) {
    throw new CorruptDatabaseError(file, (err as Error).message);
  }
  try {
    let version: number;
    try {
      tuneConnection(db);
      version = schemaVersion(db);
      if (check) {
        const result = db.exec("PRAGMA quick_check")[0]?.values.map((r) => String(r[0])) ?? [];
        if (result.length !== 1 || result[0] !== "ok") {
          throw new Error(`quick_check: ${result.slice(0, 3).join("; ") || "no answer"}`);
        }
      }
    } catch (err) {
      throw new CorruptDatabaseError(file, (err as Error).message);
    }
    if (version > SCHEMA_VERSION) throw new NewerSchemaError(file, version);
    let migrated: boolean;
    try {
      migrated = migrate(db, file);
    } catch (err) {
      throw new Error(
        `Cannot bring the Flowline database ${file} from schema version ${version} to ${SCHEMA_VERSION}: ` +
          `${(err as Error).message}. Move the file aside to start with an empty database.`,
      );
    }
    return { db, signature: read.signature, dirty: migrated };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Keeps a damaged database as `<file>.corrupt-<timestamp>` (a hard link, else a copy) and returns that path.
 * The damaged file itself stays in place until the salvaged database is renamed over it, so no reader
 * ever finds no database at all.
 */
export function keepAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  for (let i = 0; ; i++) {
    const target = i === 0 ? `${file}.corrupt-${stamp}` : `${file}.corrupt-${stamp}-${i}`;
    try {
      fs.linkSync(file, target);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS" && code !== "EXDEV") throw err;
    }
    try {
      fs.copyFileSync(file, target, fs.constants.COPYFILE_EXCL); // a file system without hard links
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}
