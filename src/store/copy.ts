import type { Database, SqlJsStatic } from "sql.js";
import { MISSING, fileSignature, readFileWithSignature, writeFileAtomic, writeTarget, type FileSignature } from "./atomic-file";
import { CorruptDatabaseError, keepAside, loadDatabase, tuneConnection } from "./db-file";
import type { HeldLock } from "./lock";
import { salvageDatabase, salvageMessage } from "./salvage";

// This process's copy of the database file. sql.js holds the whole database in memory: the copy is
// loaded from the file, loaded again when another process replaced the file, salvaged when the file is
// damaged, and written back whole (under the lock, by the Store).

/** Stands for a copy salvaged without the lock: no file has it, so the next write salvages the file itself. */
const UNSAVED_SALVAGE: FileSignature = "salvaged in memory";
/** Tell those who wait for the lock what the holder does only when it takes a while: writing this much. */
const STATUS_MIN_BYTES = 8 << 20;

export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0);

export class DatabaseCopy {
  /** The file writes replace: the database file, or the end of its symbolic links (written through). */
  readonly target: string;
  private db: Database | undefined;
  /** The version of the file the copy was loaded from (MISSING: none). */
  private signature: FileSignature = MISSING;
  /** The copy has changes the file lacks (new, migrated, folded while another process held the lock). */
  dirty = false;
  private corruptSeen: FileSignature | undefined;
  /** Run SQLite's quick_check on the next load under the lock (it reads every page: once per open). */
  private verifyNextLoad = true;

  constructor(
    private readonly SQL: SqlJsStatic,
    readonly file: string,
    private readonly warn: (message: string) => void,
  ) {
    this.target = writeTarget(file);
  }

  get loaded(): boolean {
    return this.db !== undefined;
  }

  /** The copy as it stands, without looking at the file. */
  get database(): Database {
    if (!this.db) throw new Error(`The Flowline database ${this.file} is not loaded.`);
    return this.db;
  }

  /** True when the file is no longer the version this copy was loaded from. */
  changedOnDisk(): boolean {
    return fileSignature(this.file) !== this.signature;
  }

  /** Loads the file, checking every page; throws CorruptDatabaseError (the file left as it is). Returns `dirty`. */
  open(): boolean {
    const loaded = loadDatabase(this.SQL, this.file, true);
    this.replace(loaded.db, loaded.signature, loaded.dirty);
    this.verifyNextLoad = false;
    return loaded.dirty;
  }

  /**
   * Without the lock: loads the file again if another process replaced it; true when it did. A damaged
   * file is not salvaged to disk here (that needs the lock): the last good copy stays in use, or, with
   * none, what can be read of the damaged one.
   */
  reload(): boolean {
    const sig = fileSignature(this.file);
    if (this.db && (sig === this.signature || sig === this.corruptSeen)) return false;
    try {
      const loaded = loadDatabase(this.SQL, this.file, false);
      this.replace(loaded.db, loaded.signature, loaded.dirty);
      this.corruptSeen = undefined;
      return true;
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
      this.corruptSeen = sig;
      if (this.db) {
        this.warn(`${err.message} Showing the last good copy; it will be salvaged at the next write.`);
        return false;
      }
      const { db, report } = salvageDatabase(this.SQL, readFileWithSignature(this.file)?.bytes ?? new Uint8Array(), this.file);
      this.replace(db, UNSAVED_SALVAGE, false);
      this.warn(`${err.message} Showing the ${report.recovered} rows that could be read; the next write salvages it into a new file and keeps the original.`);
      return true;
    }
  }

  /** Under the lock: loads the file again if it changed, salvaging a damaged one. */
  reloadLocked(): Database {
    if (this.db && !this.changedOnDisk()) return this.db;
    try {
      const loaded = loadDatabase(this.SQL, this.file, this.verifyNextLoad);
      this.replace(loaded.db, loaded.signature, loaded.dirty);
      this.verifyNextLoad = false;
      this.corruptSeen = undefined;
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
      this.salvage(err);
    }
    return this.db as Database;
  }

  /**
   * Under the lock: recovers every readable row of the damaged file into a new copy, which the next write
   * puts in its place; the damaged original is kept beside it.
   */
  salvage(err: CorruptDatabaseError): void {
    const { db, report } = salvageDatabase(this.SQL, readFileWithSignature(this.file)?.bytes ?? new Uint8Array(), this.file);
    const aside = keepAside(this.target);
    this.warn(salvageMessage(err, report, this.file, aside));
    // The damaged file's signature after the link: the check before the rename must find it unchanged.
    this.replace(db, fileSignature(this.file), true);
    this.corruptSeen = undefined;
  }

  /** True when the copy came from a file that exists (a damaged one can be salvaged only then). */
  fromFile(): boolean {
    return this.signature !== MISSING && this.signature !== UNSAVED_SALVAGE;
  }

  /** Under the lock: writes the copy over the file (atomically, flushed). */
  write(lock: HeldLock): void {
    const db = this.database;
    const bytes = db.export();
    if (bytes.length >= STATUS_MIN_BYTES) lock.status(`writing the database (${mb(bytes.length)} MB)`);
    this.signature = writeFileAtomic(this.file, bytes);
    tuneConnection(db); // export() reopened the connection
    this.dirty = false;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private replace(db: Database, signature: FileSignature, dirty: boolean): void {
    this.db?.close();
    this.db = db;
    this.signature = signature;
    this.dirty = dirty;
  }
}
