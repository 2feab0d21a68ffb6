import * as fs from "node:fs";
import type { Database, SqlJsStatic } from "sql.js";
import { dbPath, journalDir, storageDir } from "../engine/home";
import { MISSING, fileSignature, removeDeadWritersTempFiles, writeFileAtomic, type FileSignature } from "./atomic-file";
import { compactIfSparse, CorruptDatabaseError, freshDatabase, loadDatabase, moveAside, tuneConnection } from "./db-file";
import { foldJournals, type FoldOutcome } from "./fold";
import { acquireLock, type LockOptions } from "./lock";
import { markRunTree } from "./marks";
import { autoPrune, checkDays, countPrunable, cutoffFor, pruneRows, prunedAnything, retentionSetting } from "./retention";
import * as artifacts from "./artifacts";
import { StoreReads } from "./reads";
import { loadSqlJs } from "./sqljs";
import type { Statements } from "./statements";
import type { PruneOptions, PruneResult, SyncResult } from "./types";

// The Flowline store: one sql.js database file (<home>/flowline.db) shared by several processes.
//
//   openStore(home, opts?)              Promise<Store>   creates folders; creates/migrates the file if needed
//   store.sync()                        Promise<SyncResult>   folds every journal, crash-marks dead writers' runs,
//                                                        and applies retention (at most hourly) when configured
//   store.markRuns(flowRunId, type, msg) Promise<number>  Crashed/Cancelled for a run tree (runner, after a kill)
//   store.deleteArtifact(id)            Promise<boolean>
//   store.deleteArtifactKey(key)        Promise<number>
//   store.prune({olderThanDays, dryRun}) Promise<PruneResult>  old runs (with their logs...) and artifacts
//   reads (reads.ts; sync; reload the file first if another process changed it; they do not fold):
//   listFlowRuns, getFlowRun, getTaskRun, getStateHistory, getLogs, lookupCache,
//   listArtifacts, listArtifactKeys, getArtifactVersions, getArtifact, findArtifact
//   store.reload() boolean, store.warnings string[], store.close()
//
// Engines never write the database: they append to journals, and every write here happens under the lock
// file <db>.lock, on a freshly reloaded copy, and ends with an atomic rename of the whole file.

export type * from "./types";
export { StoreLookupError } from "./queries";
export { NewerSchemaError, SCHEMA_VERSION } from "./schema";
export { CorruptDatabaseError } from "./db-file";
export { setSqlWasmPath } from "./sqljs";

export interface OpenStoreOptions {
  /** sql-wasm.wasm location (the bundle ships it next to itself). Only the first open in a process uses it. */
  wasmPath?: string;
  /** Called for each warning (damaged database moved aside, malformed journal lines, …). */
  onWarning?: (message: string) => void;
  /** Fold journals once while opening (as `sync()` does). Default false. */
  sync?: boolean;
  lock?: LockOptions;
  /**
   * Automatic retention: sync() deletes runs and artifacts older than this many days, at most once an hour
   * (across processes). 0 turns it off. Default: $FLOWLINE_RETENTION_DAYS, else off.
   */
  retentionDays?: number;
}

export async function openStore(home: string, opts: OpenStoreOptions = {}): Promise<Store> {
  for (const dir of [home, journalDir(home), storageDir(home)]) fs.mkdirSync(dir, { recursive: true });
  const SQL = await loadSqlJs(opts.wasmPath);
  const store = new Store(SQL, home, opts);
  try {
    await store.init();
    if (opts.sync) await store.sync();
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}

type RunMark = "Crashed" | "Cancelled";

const NOTHING_FOLDED: FoldOutcome = {
  eventsFolded: 0,
  malformedLines: 0,
  runsCrashed: 0,
  changed: false,
  finishedFiles: [],
};

interface Change<T> {
  value: T;
  changed: boolean;
}

export class Store extends StoreReads {
  readonly home: string;
  readonly dbFile: string;
  readonly lockFile: string;
  readonly journalDir: string;
  /** Every warning so far, oldest first. */
  readonly warnings: string[] = [];

  private db: Database | undefined;
  private signature: FileSignature = MISSING;
  /** The in-memory copy has changes the file lacks (new or migrated database): write at the next lock. */
  private dirty = false;
  private corruptSeen: FileSignature | undefined;
  /** Run SQLite's quick_check on the next load under the lock (it reads every page: once per open). */
  private verifyNextLoad = true;
  /** Serialises this instance's locked sections; other processes are kept out by the lock file. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Use openStore(). */
  constructor(
    private readonly SQL: SqlJsStatic,
    home: string,
    private readonly opts: OpenStoreOptions = {},
  ) {
    super();
    this.home = home;
    this.dbFile = dbPath(home);
    this.lockFile = `${this.dbFile}.lock`;
    this.journalDir = journalDir(home);
  }

  /** Loads the file; takes the lock only when the file must be created, migrated or moved aside. */
  async init(): Promise<void> {
    try {
      const loaded = loadDatabase(this.SQL, this.dbFile, true);
      this.replace(loaded.db, loaded.signature, loaded.dirty);
      this.verifyNextLoad = false;
      if (!loaded.dirty) return;
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
    }
    await this.locked(undefined);
  }

  // ---- writes (under the lock) ----

  /**
   * Folds all journals into the database and crash-marks the runs of writers that died. With retention on,
   * also prunes old runs and artifacts when no process has in the last hour (`pruned` says what went).
   */
  async sync(): Promise<SyncResult> {
    const days = this.retentionDays();
    if (days === undefined) return (await this.locked(() => ({ value: undefined, changed: false }))).sync;
    const { value, sync } = await this.locked((db) => {
      const pruned = autoPrune(db, days, new Date());
      return { value: pruned, changed: pruned !== undefined };
    });
    if (value) sync.pruned = value;
    return sync;
  }

  /**
   * Deletes flow runs that ended more than `olderThanDays` ago (with their task runs, states, logs and
   * subflow runs) and artifacts last changed before then. `dryRun` only counts. Result files stay.
   */
  async prune(opts: PruneOptions): Promise<PruneResult> {
    const cutoff = cutoffFor(checkDays(opts.olderThanDays, "olderThanDays"), opts.now ?? new Date());
    if (opts.dryRun) {
      // Fold first so the count is of everything recorded, but without automatic retention: a dry run deletes nothing.
      await this.locked(() => ({ value: undefined, changed: false }));
      return { cutoff, dryRun: true, ...countPrunable(this.current(), cutoff) };
    }
    const { value } = await this.locked((db) => {
      const counts = pruneRows(db, cutoff);
      return { value: counts, changed: prunedAnything(counts) };
    });
    return { cutoff, dryRun: false, ...value };
  }

  /**
   * Marks a flow run, its subflow runs and their task runs that are still Pending or Running as `type`
   * (for the runner, after its child died or was killed). Journals are folded first, and the mark is
   * applied before dead writers' runs are crash-marked, so "Cancelled" is not overwritten by "Crashed".
   * Returns the number of runs marked.
   */
  async markRuns(flowRunId: string, type: RunMark, message: string): Promise<number> {
    const { value } = await this.locked((db, st) => {
      const n = markRunTree(db, st, flowRunId, type, message, new Date().toISOString());
      return { value: n, changed: n > 0 };
    });
    return value;
  }

  /** Deletes one artifact version. Returns false when there is no artifact with that id. */
  async deleteArtifact(id: string): Promise<boolean> {
    const { value } = await this.locked((db) => {
      const deleted = artifacts.deleteArtifact(db, id);
      return { value: deleted, changed: deleted };
    });
    return value;
  }

  /** Deletes every version of a key. Returns how many were deleted. */
  async deleteArtifactKey(key: string): Promise<number> {
    const { value } = await this.locked((db) => {
      const n = artifacts.deleteArtifactKey(db, key);
      return { value: n, changed: n > 0 };
    });
    return value;
  }

  /**
   * Reloads the file if another process changed it since it was loaded; returns true when it did. A file
   * that is damaged is not moved aside here (that needs the lock): the last good copy stays in use.
   */
  reload(): boolean {
    this.assertOpen();
    if (fileSignature(this.dbFile) === this.signature && this.db) return false;
    try {
      const loaded = loadDatabase(this.SQL, this.dbFile, false);
      this.replace(loaded.db, loaded.signature, loaded.dirty);
      return true;
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
      const sig = fileSignature(this.dbFile);
      if (this.corruptSeen !== sig) {
        this.corruptSeen = sig;
        this.warn(`${err.message} Showing the last good copy; it will be moved aside at the next write.`);
      }
      if (!this.db) this.replace(freshDatabase(this.SQL, this.dbFile), MISSING, true);
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db?.close();
    this.db = undefined;
  }

  // ---- internals ----

  protected current(): Database {
    this.reload();
    return this.db as Database;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`This Flowline store (${this.dbFile}) is closed; open it again with openStore().`);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.opts.onWarning?.(message);
  }

  /** Days of automatic retention, or undefined when off (an unusable setting is reported once). */
  private retentionDays(): number | undefined {
    const { days, problem } = retentionSetting(this.opts.retentionDays);
    if (problem && !this.warnings.includes(problem)) this.warn(problem);
    return days;
  }

  private replace(db: Database, signature: FileSignature, dirty: boolean): void {
    this.db?.close();
    this.db = db;
    this.signature = signature;
    this.dirty = dirty;
  }

  /** Under the lock, reloads the file if it changed (moving a damaged one aside). */
  private reloadLocked(): Database {
    if (fileSignature(this.dbFile) === this.signature && this.db) return this.db;
    try {
      const loaded = loadDatabase(this.SQL, this.dbFile, this.verifyNextLoad);
      this.replace(loaded.db, loaded.signature, loaded.dirty);
      this.verifyNextLoad = false;
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
      this.startAfresh(err);
    }
    return this.db as Database;
  }

  private startAfresh(err: CorruptDatabaseError): void {
    const aside = moveAside(this.dbFile);
    this.warn(
      `${err.message} It was moved to ${aside} and a new, empty database was started at ${this.dbFile}. ` +
        `Runs still in journals will be folded into it; older history is in the moved file.`,
    );
    this.replace(freshDatabase(this.SQL, this.dbFile), MISSING, true);
  }

  /**
   * Folds (running `op`). Damage that the cheap load checks missed shows up here as SQLite errors: if the
   * file we loaded is still the one on disk, it is moved aside and the fold is redone on a new database.
   */
  private foldChecked<T>(op: ((db: Database, st: Statements) => Change<T>) | undefined): {
    outcome: FoldOutcome;
    value: T | undefined;
  } {
    let value: T | undefined;
    const fold = (db: Database): FoldOutcome =>
      op
        ? foldJournals(db, this.journalDir, {
            warn: (m) => this.warn(m),
            beforeFinish: (d, st) => {
              const change = op(d, st);
              value = change.value;
              return change.changed;
            },
          })
        : NOTHING_FOLDED; // opening: only create/migrate/repair the file; folding is sync()'s job
    try {
      const outcome = fold(this.reloadLocked());
      return { outcome, value };
    } catch (err) {
      const damaged =
        err instanceof Error && /database disk image is malformed|file is not a database/i.test(err.message);
      if (!damaged || this.signature === MISSING || fileSignature(this.dbFile) !== this.signature) throw err;
      this.startAfresh(new CorruptDatabaseError(this.dbFile, (err as Error).message));
      const outcome = fold(this.db as Database);
      return { outcome, value };
    }
  }

  /**
   * The one write path: lock, reload if changed, fold journals, run `op` in the fold's transaction,
   * write the file if anything changed, delete finished journals, unlock.
   */
  private locked<T>(
    op: ((db: Database, st: Statements) => Change<T>) | undefined,
  ): Promise<{ value: T; sync: SyncResult }> {
    this.assertOpen();
    const run = async () => {
      this.assertOpen();
      const lock = await acquireLock(this.lockFile, this.opts.lock);
      try {
        this.assertOpen(); // closed while we waited for the lock
        const { outcome, value } = this.foldChecked(op);
        const sync: SyncResult = {
          eventsFolded: outcome.eventsFolded,
          journalsRemoved: 0,
          runsCrashed: outcome.runsCrashed,
          malformedLines: outcome.malformedLines,
          wrote: false,
        };
        if (outcome.changed) this.dirty = true;
        // A writer killed mid-write leaves its temp file: whoever holds the lock next removes it.
        removeDeadWritersTempFiles(this.dbFile);
        if (this.dirty) {
          const db = this.db as Database;
          if (outcome.changed) compactIfSparse(db); // after deletions: do not write free pages forever
          this.signature = writeFileAtomic(this.dbFile, db.export());
          tuneConnection(db); // export() reopened the connection
          this.dirty = false;
          sync.wrote = true;
        }
        // Only now that the file says these journals are finished may they go.
        for (const file of outcome.finishedFiles) {
          try {
            fs.unlinkSync(file);
            sync.journalsRemoved++;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.warn(`Cannot delete journal ${file}: ${err}`);
          }
        }
        return { value: value as T, sync };
      } finally {
        lock.release();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
