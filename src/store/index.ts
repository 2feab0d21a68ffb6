import * as fs from "node:fs";
import * as path from "node:path";
import type { Database, SqlJsStatic } from "sql.js";
import { tempFilePrefix } from "../shared/atomic-write";
import { dbPath, journalDir, storageDir, storageTempDir } from "../shared/home";
import { fileSignature, removeDeadWritersTemps } from "./atomic-file";
import { DatabaseCopy, mb } from "./copy";
import { compactIfSparse, CorruptDatabaseError } from "./db-file";
import { foldJournals, pendingJournalBytes, type FoldOutcome } from "./fold";
import { acquireLock, describeHolder, StoreConflictError, tryLock, type HeldLock, type LockOptions, type LockRequest } from "./lock";
import { markRunTree } from "./marks";
import { autoPrune, checkDays, countPrunable, cutoffFor, pruneRows, prunedAnything, retentionSetting } from "./retention";
import * as artifacts from "./artifacts";
import { StoreReads } from "./reads";
import { loadSqlJs } from "./sqljs";
import type { Statements } from "./statements";
import type { PruneOptions, PruneResult, SyncOptions, SyncResult } from "./types";

// The Flowline store: one sql.js database file (<home>/flowline.db) shared by several processes.
//
//   openStore(home, opts?)              Promise<Store>   creates folders; creates/migrates the file if needed
//   store.sync({ wait? })               Promise<SyncResult>   folds every journal, crash-marks dead writers' runs,
//                                                        and applies retention (at most hourly) when configured;
//                                                        never waits for another process's lock unless asked
//   store.markRuns(flowRunId, type, msg) Promise<number>  Crashed/Cancelled for a run tree (runner, after a kill)
//   store.deleteArtifact(id)            Promise<boolean>
//   store.deleteArtifactKey(key)        Promise<number>
//   store.prune({olderThanDays, dryRun}) Promise<PruneResult>  old runs (with their logs...) and artifacts
//   reads (reads.ts; sync; reload the file first if another process changed it; they do not fold):
//   listFlowRuns, getFlowRun, getTaskRun, getStateHistory, getLogs, lookupCache,
//   listArtifacts, listArtifactKeys, getArtifactVersions, getArtifact, findArtifact
//   store.reload() boolean, store.warnings string[], store.close()
//
// Engines never write the database: they append to journals. Every write here happens under the lock
// file <db>.lock, on a freshly reloaded copy, checks that the file is still the one it loaded, and ends
// with an atomic rename of the whole file. Writes wait for the lock as long as its holder lives (saying
// who it is); reads never wait: with the lock taken they fold the journals into their own copy only.

export type * from "./types";
export { StoreLookupError } from "./queries";
export { NewerSchemaError, SCHEMA_VERSION } from "./schema";
export { CorruptDatabaseError } from "./db-file";
export { StoreBusyError, StoreConflictError } from "./lock";
export { setSqlWasmPath } from "./sqljs";

export interface OpenStoreOptions {
  /** sql-wasm.wasm location (the bundle ships it next to itself). Only the first open in a process uses it. */
  wasmPath?: string;
  /** Called for each warning (damaged database salvaged, malformed journal lines, …). */
  onWarning?: (message: string) => void;
  /** Fold journals once while opening (as `sync()` does). Default false. */
  sync?: boolean;
  lock?: LockOptions;
  /** Who this process is, told to a process that waits for the lock: "flowline artifacts rm", "VS Code". */
  label?: string;
  /** Told while a write waits for another process's lock: who holds it, for how long. Default: onWarning. */
  onWait?: (message: string) => void;
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
type Op<T> = (db: Database, st: Statements) => Change<T>;

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

const NO_CHANGE: Op<undefined> = () => ({ value: undefined, changed: false });
/** Tell those who wait for the lock what the holder does only when it takes a while: folding this much. */
const STATUS_MIN_BYTES = 1 << 20;
/** How often a write folds again because the file changed under its lock before it gives up. */
const MAX_REFOLDS = 5;

export class Store extends StoreReads {
  readonly home: string;
  readonly dbFile: string;
  readonly lockFile: string;
  readonly journalDir: string;
  /** Every warning so far, oldest first. */
  readonly warnings: string[] = [];

  private readonly copy: DatabaseCopy;
  /** Serialises this instance's writes; other processes are kept out by the lock file. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Use openStore(). */
  constructor(
    SQL: SqlJsStatic,
    home: string,
    private readonly opts: OpenStoreOptions = {},
  ) {
    super();
    this.home = home;
    this.dbFile = dbPath(home);
    this.journalDir = journalDir(home);
    this.copy = new DatabaseCopy(SQL, this.dbFile, (m) => this.warn(m));
    // Beside the file itself: two homes whose flowline.db links to one file share one lock.
    this.lockFile = `${this.copy.target}.lock`;
  }

  /** Loads the file; writes it only when it must be created, migrated or salvaged, and the lock is free. */
  async init(): Promise<void> {
    try {
      if (!this.copy.open()) return;
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
    }
    // Opening is a read: with the lock taken, keep this copy (the next write stores it) rather than wait.
    await this.lockedIfFree("opening the database", undefined);
    if (!this.copy.loaded) this.copy.reload();
  }

  // ---- writes (under the lock) ----

  /**
   * Folds all journals into the database and crash-marks the runs of writers that died. With retention on,
   * also prunes old runs and artifacts when no process has in the last hour (`pruned` says what went).
   * When another live process holds the lock, it does not wait (unless `wait`): it folds the journals into
   * this copy only, so every read shows every acknowledged write, and says who holds the lock (`busy`).
   */
  async sync(options: SyncOptions = {}): Promise<SyncResult> {
    const days = this.retentionDays();
    const op: Op<PruneResult | undefined> =
      days === undefined
        ? NO_CHANGE
        : (db) => {
            const pruned = autoPrune(db, days, new Date());
            return { value: pruned, changed: pruned !== undefined };
          };
    const doing = "folding journals";
    const { value, sync } = options.wait ? await this.locked(doing, op) : await this.lockedIfFree(doing, op);
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
      await this.lockedIfFree("folding journals", NO_CHANGE);
      return { cutoff, dryRun: true, ...countPrunable(this.current(), cutoff) };
    }
    const { value } = await this.locked("pruning old runs", (db) => {
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
    const { value } = await this.locked(`recording a run as ${type}`, (db, st) => {
      const n = markRunTree(db, st, flowRunId, type, message, new Date().toISOString());
      return { value: n, changed: n > 0 };
    });
    return value;
  }

  /** Deletes one artifact version. Returns false when there is no artifact with that id. */
  async deleteArtifact(id: string): Promise<boolean> {
    const { value } = await this.locked("deleting an artifact", (db) => {
      const deleted = artifacts.deleteArtifact(db, id);
      return { value: deleted, changed: deleted };
    });
    return value;
  }

  /** Deletes every version of a key. Returns how many were deleted. */
  async deleteArtifactKey(key: string): Promise<number> {
    const { value } = await this.locked("deleting artifacts", (db) => {
      const n = artifacts.deleteArtifactKey(db, key);
      return { value: n, changed: n > 0 };
    });
    return value;
  }

  /**
   * Reloads the file if another process changed it since it was loaded; returns true when it did. A file
   * that is damaged is not salvaged to disk here (that needs the lock): the last good copy stays in use,
   * or, with none, what can be read of the damaged one.
   */
  reload(): boolean {
    this.assertOpen();
    return this.copy.reload();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.copy.close();
  }

  // ---- internals ----

  protected current(): Database {
    this.reload();
    return this.copy.database;
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

  private lockRequest(doing: string): LockRequest {
    return { ...this.opts.lock, label: this.opts.label, doing, onWait: this.opts.onWait ?? this.opts.onWarning };
  }

  /**
   * Folds (running `op`). Damage that the cheap load checks missed shows up here as SQLite errors: if the
   * file we loaded is still the one on disk, it is salvaged and the fold is redone on the salvaged copy.
   */
  private foldChecked<T>(op: Op<T> | undefined, lock: HeldLock): { outcome: FoldOutcome; value: T | undefined } {
    let value: T | undefined;
    const fold = (db: Database): FoldOutcome => {
      if (!op) return NOTHING_FOLDED; // opening: only create/migrate/repair the file; folding is sync()'s job
      const pending = pendingJournalBytes(db, this.journalDir);
      if (pending >= STATUS_MIN_BYTES) lock.status(`folding ${mb(pending)} MB of journals`);
      return foldJournals(db, this.journalDir, {
        warn: (m) => this.warn(m),
        beforeFinish: (d, st) => {
          const change = op(d, st);
          value = change.value;
          return change.changed;
        },
      });
    };
    try {
      const outcome = fold(this.copy.reloadLocked());
      return { outcome, value };
    } catch (err) {
      const damaged = err instanceof Error && /database disk image is malformed|file is not a database/i.test(err.message);
      if (!damaged || !this.copy.fromFile() || this.copy.changedOnDisk()) throw err;
      this.copy.salvage(new CorruptDatabaseError(this.dbFile, (err as Error).message));
      const outcome = fold(this.copy.database);
      return { outcome, value };
    }
  }

  /** Folds the journals into this copy only (another process holds the lock): nothing is written or deleted. */
  private foldInMemory(): FoldOutcome {
    let outcome = NOTHING_FOLDED;
    // A writer that renamed a new file and deleted the journals it folded between our load and our fold
    // would leave our copy short of them: load again and fold again when the file changed meanwhile.
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = fileSignature(this.dbFile);
      outcome = foldJournals(this.current(), this.journalDir, { warn: (m) => this.warn(m) });
      if (outcome.changed) this.copy.dirty = true;
      if (fileSignature(this.dbFile) === before) break;
    }
    return outcome;
  }

  /** The write path for writers: wait for the lock (as long as its holder lives), then write. */
  private locked<T>(doing: string, op: Op<T>): Promise<{ value: T; sync: SyncResult }> {
    this.assertOpen();
    const run = async () => {
      this.assertOpen();
      const lock = await acquireLock(this.lockFile, this.lockRequest(doing));
      try {
        return this.underLock(lock, op);
      } finally {
        lock.release();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The path for reads that fold: write under the lock when it is free; else fold into this copy only and
   * return at once (never behind this instance's own waiting writes either: the locked work is synchronous).
   */
  private async lockedIfFree<T>(doing: string, op: Op<T> | undefined): Promise<{ value: T | undefined; sync: SyncResult }> {
    this.assertOpen();
    const lock = tryLock(this.lockFile, this.lockRequest(doing));
    if ("release" in lock) {
      try {
        return this.underLock(lock, op);
      } finally {
        lock.release();
      }
    }
    const outcome = op ? this.foldInMemory() : NOTHING_FOLDED;
    return { value: undefined, sync: { ...counts(outcome), journalsRemoved: 0, wrote: false, busy: describeHolder(lock) } };
  }

  /**
   * The one write: reload if changed, fold journals, run `op` in the fold's transaction, check the file is
   * still the one loaded (else fold again on top of the new one), write it if anything changed, delete
   * finished journals. Synchronous: nothing else in this process runs while the lock is held.
   */
  private underLock<T>(lock: HeldLock, op: Op<T> | undefined): { value: T; sync: SyncResult } {
    this.assertOpen(); // closed while we waited for the lock
    for (let attempt = 1; ; attempt++) {
      const { outcome, value } = this.foldChecked(op, lock);
      const sync: SyncResult = { ...counts(outcome), journalsRemoved: 0, wrote: false };
      if (outcome.changed) this.copy.dirty = true;
      // Writers killed mid-write leave temp files (of the database, of this lock, of results): the lock's
      // holder removes them.
      removeDeadWritersTemps(path.dirname(this.copy.target), [tempFilePrefix(this.copy.target), tempFilePrefix(this.lockFile)]);
      removeDeadWritersTemps(storageTempDir(this.home), [""]);
      if (this.copy.dirty) {
        // Only a process that ignored the lock (Flowline 1.0 broke locks older than 30 s; someone deleted
        // the lock file) can have replaced the file: writing now would drop what it wrote. Fold again on it.
        if (this.copy.changedOnDisk()) {
          if (attempt >= MAX_REFOLDS) throw new StoreConflictError(this.dbFile, this.lockFile, MAX_REFOLDS);
          continue;
        }
        if (outcome.changed) compactIfSparse(this.copy.database); // after deletions: do not write free pages forever
        this.copy.write(lock);
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
    }
  }
}

function counts(outcome: FoldOutcome): Omit<SyncResult, "journalsRemoved" | "wrote"> {
  return { eventsFolded: outcome.eventsFolded, runsCrashed: outcome.runsCrashed, malformedLines: outcome.malformedLines };
}
