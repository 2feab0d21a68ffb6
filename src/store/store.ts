import * as fs from "node:fs";
import * as path from "node:path";
import type { SqlJsStatic } from "sql.js";
import type { StateType } from "../shared/events";
import { tempFilePrefix } from "../shared/atomic-write";
import { dbPath, journalDir, storageDir, storageTempDir } from "../shared/home";
import { deleteArtifactById, deleteArtifactKey } from "./artifact-writes";
import { Applier } from "./apply";
import { fileSignature, removeDeadWritersTemps, writeTarget, type FileSignature } from "./atomic-file";
import { CorruptDatabaseError } from "./db-file";
import { foldJournals, listJournals, pendingJournalBytes, type FoldOutcome } from "./fold";
import { LayoutOneError, loadIndexFile, quickCheckProblem, type LoadedIndex } from "./files";
import { dataDir, segmentLimit } from "./layout";
import { acquireLock, describeHolder, StoreConflictError, tryLock, type HeldLock, type LockOptions, type LockRequest } from "./lock";
import { convertLayoutOne } from "./migrate-v1";
import * as reads from "./reads";
import { checkDays, cutoffFor, markRetentionRan, pruneSegments, retentionDue, retentionSetting, prunedAnything } from "./retention";
import { deletePrunedResults } from "./result-files";
import { SnapshotReader } from "./snapshot";
import { loadSqlJs } from "./sqljs";
import type * as T from "./types";
import { IndexMovedError, WriteTx } from "./write-tx";
import type { StoreApi } from "./api";

// The Flowline store of one home (docs/STORE.md): an index, segments and their payload files, folded
// from the engines' journals. Reads take no lock and touch only the files they need; every write takes
// the home's lock, works on the files as they are on disk, and commits by renaming the index.

export interface OpenStoreOptions {
  /** sql-wasm.wasm location (the bundle ships it next to itself). Only the first open in a process uses it. */
  wasmPath?: string;
  /** Called for each warning (a damaged file repaired, malformed journal lines, …). */
  onWarning?: (message: string) => void;
  /** Fold journals once while opening (as `sync()` does). Default false. */
  sync?: boolean;
  lock?: LockOptions;
  /** Who this process is, told to a process that waits for the lock: "flowline artifacts rm", "VS Code". */
  label?: string;
  /** Told while a write waits for another process's lock: who holds it, for how long. Default: onWarning. */
  onWait?: (message: string) => void;
  /** Told of long one-off work (converting a 1.0 home). Default: onWarning. */
  onProgress?: (message: string) => void;
  /**
   * Automatic retention: sync() deletes runs and artifacts older than this many days, at most once an hour
   * (across processes). 0 turns it off. Default: $FLOWLINE_RETENTION_DAYS, else off.
   */
  retentionDays?: number;
  /** Bytes of segments a reader keeps loaded (default 64 MiB, or $FLOWLINE_STORE_CACHE_BYTES). */
  cacheBytes?: number;
}

type RunMark = Extract<StateType, "Crashed" | "Cancelled">;

interface Change<T> {
  value: T;
  changed: boolean;
}

type Op<T> = (tx: WriteTx, applier: Applier) => Change<T>;

const NOTHING_FOLDED: FoldOutcome = { eventsFolded: 0, malformedLines: 0, runsCrashed: 0, changed: false, finishedFiles: [] };
/** Tell those who wait for the lock what the holder does only when it takes a while: folding this much. */
const STATUS_MIN_BYTES = 1 << 20;
/** How often a write folds again because the index changed under its lock before it gives up. */
const MAX_REFOLDS = 5;

export async function openStore(home: string, opts: OpenStoreOptions = {}): Promise<Store> {
  for (const dir of [home, journalDir(home), storageDir(home), dataDir(home)]) fs.mkdirSync(dir, { recursive: true });
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

export class Store implements StoreApi {
  readonly dbFile: string;
  readonly lockFile: string;
  readonly journalDir: string;
  /** Every warning so far, oldest first. */
  readonly warnings: string[] = [];
  private readonly reader: SnapshotReader;
  /** Serialises this instance's writes; other processes are kept out by the lock file. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Run quick_check on the index at the first write (it reads every page: once per open). */
  private verified = false;

  /** Use openStore(). */
  constructor(
    private readonly SQL: SqlJsStatic,
    readonly home: string,
    private readonly opts: OpenStoreOptions = {},
  ) {
    this.dbFile = dbPath(home);
    // Beside the file itself: two homes whose flowline.db links to one file share one lock.
    this.lockFile = `${writeTarget(this.dbFile)}.lock`;
    this.journalDir = journalDir(home);
    const cache = opts.cacheBytes ?? (Number(process.env.FLOWLINE_STORE_CACHE_BYTES) || 64 * 1024 * 1024);
    this.reader = new SnapshotReader(SQL, home, cache, (m) => this.warn(m));
  }

  /** Loads the index; converts a 1.0 database (under the lock) when it finds one. */
  async init(): Promise<void> {
    this.reader.reload();
    if (this.reader.layoutOne) await this.locked("converting a Flowline 1.0 database", undefined, false);
  }

  // ---- reads ----

  private read<T>(fn: (snap: reads.Snapshot) => T): Promise<T> {
    this.assertOpen();
    return Promise.resolve().then(() => this.reader.read(fn));
  }

  /** Flow runs, newest first (all of them unless `limit`). */
  listFlowRuns(opts?: T.ListFlowRunsOptions): Promise<T.FlowRun[]> {
    return this.read((s) => reads.listFlowRuns(s, opts));
  }

  /** A flow run by id or unique id prefix, with its subflow runs and first task runs. Throws StoreLookupError. */
  getFlowRun(idOrPrefix: string, opts: { taskLimit?: number } = {}): Promise<T.FlowRunDetail> {
    return this.read((s) => reads.getFlowRun(s, idOrPrefix, opts.taskLimit));
  }

  /** A page of a flow run's task runs, in creation order. */
  listTaskRuns(flowRunId: string, opts?: T.ListTaskRunsOptions): Promise<T.TaskRun[]> {
    return this.read((s) => reads.listTaskRuns(s, flowRunId, opts));
  }

  getTaskRun(flowRunId: string, taskRunId: string): Promise<T.TaskRun | undefined> {
    return this.read((s) => reads.getTaskRun(s, flowRunId, taskRunId));
  }

  /** The states a flow run (or, given its flow run's id, a task run) went through, in order. */
  getStateHistory(runId: string, flowRunId?: string): Promise<T.StateHistoryEntry[]> {
    return this.read((s) => reads.getStateHistory(s, runId, flowRunId));
  }

  /** Log lines of a flow run (its task runs' lines included), oldest first. */
  getLogs(opts: T.GetLogsOptions): Promise<T.LogEntry[]> {
    return this.read((s) => reads.getLogs(s, opts));
  }

  listArtifacts(opts?: T.ListArtifactsOptions): Promise<T.Artifact[]> {
    return this.read((s) => reads.listArtifacts(s, opts));
  }

  getArtifactVersions(key: string, opts?: T.ArtifactVersionsOptions): Promise<T.Artifact[]> {
    return this.read((s) => reads.getArtifactVersions(s, key, opts));
  }

  listArtifactKeys(opts?: T.ArtifactKeysOptions): Promise<T.ArtifactKeySummary[]> {
    return this.read((s) => reads.listArtifactKeys(s, opts));
  }

  getArtifact(id: string, opts?: { includeData?: boolean }): Promise<T.Artifact | undefined> {
    return this.read((s) => reads.getArtifact(s, id, opts));
  }

  /** An artifact by id or unique id prefix. Throws StoreLookupError (not found, ambiguous). */
  findArtifact(idOrPrefix: string): Promise<T.Artifact> {
    return this.read((s) => reads.findArtifact(s, idOrPrefix));
  }

  /** Bytes the home takes on disk: the store's files, journals and stored results. */
  async homeSize(): Promise<number> {
    return folderBytes(this.home);
  }

  // ---- writes (under the lock) ----

  /**
   * Folds every journal; crash-marks dead writers' runs; applies retention (at most hourly) when set. When
   * another live process holds the lock it does not wait (unless `wait`): it folds the journals into this
   * process's view only, so every read shows every acknowledged write, and says who holds the lock (`busy`).
   */
  async sync(options: T.SyncOptions = {}): Promise<T.SyncResult> {
    const days = this.retentionDays();
    const op: Op<T.PruneResult | undefined> | undefined =
      days === undefined
        ? undefined
        : (tx) => {
            const now = new Date();
            if (!retentionDue(tx, now)) return { value: undefined, changed: false };
            const cutoff = cutoffFor(days, now);
            const { counts } = pruneSegments(tx, cutoff, false, false);
            markRetentionRan(tx, now);
            return { value: { cutoff, dryRun: false, ...counts }, changed: true };
          };
    if (op === undefined && !options.wait && this.nothingToFold()) return { eventsFolded: 0, runsCrashed: 0, malformedLines: 0, journalsRemoved: 0, wrote: false };
    const doing = "folding journals";
    const { value, sync } = options.wait ? await this.locked(doing, op, true) : await this.lockedIfFree(doing, op);
    if (value) sync.pruned = value;
    return sync;
  }

  /**
   * Deletes the flow runs that ended more than `olderThanDays` ago (0: every ended run), with their task
   * runs, states, logs and subflow runs, and the artifacts last changed before then. `dryRun` only counts.
   * `results` also deletes the result files of the deleted runs that no live cache entry points at.
   */
  async prune(opts: T.PruneOptions): Promise<T.PruneResult> {
    const now = opts.now ?? new Date();
    const days = opts.all ? 0 : checkDays(opts.olderThanDays ?? NaN, "olderThanDays");
    // 0 days: everything ended up to now (a run that ends in this very millisecond included).
    const cutoff = days === 0 ? new Date(now.getTime() + 1).toISOString() : cutoffFor(days, now);
    const { value } = await this.locked(opts.dryRun ? "counting what a prune would delete" : "pruning old runs", (tx) => {
      const visit = pruneSegments(tx, cutoff, opts.dryRun === true, opts.results === true);
      return { value: visit, changed: !opts.dryRun && prunedAnything(visit.counts) };
    }, true);
    const resultFiles = opts.results && !opts.dryRun ? deletePrunedResults(this.home, value.resultKeys, now) : undefined;
    return { cutoff, dryRun: opts.dryRun === true, ...value.counts, ...(resultFiles !== undefined ? { resultFiles } : {}) };
  }

  /**
   * Marks a flow run, its subflow runs and their task runs that are still Pending or Running as `type`
   * (for the runner, after its child died or was killed). The mark is applied before dead writers' runs
   * are crash-marked, so "Cancelled" is not overwritten by "Crashed". Returns the number of runs marked.
   */
  async markRuns(flowRunId: string, type: RunMark, message: string): Promise<number> {
    let n = 0;
    await this.locked(
      `recording a run as ${type}`,
      () => ({ value: undefined, changed: false }),
      true,
      (applier) => {
        n = applier.markTree(flowRunId, type, message, new Date().toISOString());
        return n > 0;
      },
    );
    return n;
  }

  /** Deletes one artifact version. Returns false when there is no artifact with that id. */
  async deleteArtifact(id: string): Promise<boolean> {
    const { value } = await this.locked("deleting an artifact", (tx) => {
      const deleted = deleteArtifactById(tx, id);
      return { value: deleted, changed: deleted };
    }, true);
    return value;
  }

  /** Deletes every version of a key. Returns how many were deleted. */
  async deleteArtifactKey(key: string): Promise<number> {
    const { value } = await this.locked("deleting artifacts", (tx) => {
      const n = deleteArtifactKey(tx, key);
      return { value: n, changed: n > 0 };
    }, true);
    return value;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
  }

  // ---- internals ----

  /**
   * No journal to fold, and the index in use is the one on disk, sound: a sync would take the lock, load
   * the index again and write nothing (a read of a big home paid 40 ms for it). The index is checked once
   * a process, as a write checks it (a damaged one goes the write's way, which repairs it).
   */
  private nothingToFold(): boolean {
    if (this.closed || listJournals(this.journalDir).length > 0) return false;
    this.reader.reload();
    if (!this.reader.asOnDisk) return false;
    if (!this.verified) {
      if (quickCheckProblem(this.reader.index.db) !== undefined) return false;
      this.verified = true;
    }
    return true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`This Flowline store (${this.dbFile}) is closed; open it again with openStore().`);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.opts.onWarning?.(message);
  }

  private retentionDays(): number | undefined {
    const { days, problem } = retentionSetting(this.opts.retentionDays);
    if (problem && !this.warnings.includes(problem)) this.warn(problem);
    return days;
  }

  /** The index as it is on disk, for a write: converted from 1.0 or repaired first when it must be. */
  private loadForWrite(): LoadedIndex {
    try {
      const loaded = loadIndexFile(this.SQL, this.home, !this.verified);
      this.verified = true;
      return loaded;
    } catch (err) {
      if (err instanceof LayoutOneError) {
        convertLayoutOne(this.SQL, this.home, err.db, (m) => (this.opts.onProgress ?? this.opts.onWarning)?.(m));
        return loadIndexFile(this.SQL, this.home, false);
      }
      if (err instanceof CorruptDatabaseError) {
        return this.repairIndex(err);
      }
      throw err;
    }
  }

  private repairIndex(err: CorruptDatabaseError): LoadedIndex {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { rebuildIndex } = require("./rebuild") as typeof import("./rebuild");
    const aside = rebuildIndex(this.SQL, this.home);
    this.warn(`${err.message} Rebuilt it from the segment files in ${dataDir(this.home)}: nothing was lost; the damaged original is kept at ${aside}.`);
    return loadIndexFile(this.SQL, this.home, false);
  }

  private lockRequest(doing: string): LockRequest {
    return { ...this.opts.lock, label: this.opts.label, doing, onWait: this.opts.onWait ?? this.opts.onWarning };
  }

  private txOptions(shadow: boolean) {
    return { segmentLimit: segmentLimit(), now: () => new Date(), warn: (m: string) => this.warn(m), shadow };
  }

  /** The write path for writers: wait for the lock (as long as its holder lives), then write. */
  private locked<T>(
    doing: string,
    op: Op<T> | undefined,
    fold: boolean,
    beforeCrashMarks?: (applier: Applier) => boolean,
  ): Promise<{ value: T; sync: T.SyncResult }> {
    this.assertOpen();
    const run = async () => {
      this.assertOpen();
      const lock = await acquireLock(this.lockFile, this.lockRequest(doing));
      try {
        this.assertOpen(); // closed while we waited for the lock
        return this.underLock(lock, op, fold, beforeCrashMarks);
      } finally {
        lock.release();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The path for reads that fold: write under the lock when it is free; else fold into this process's view
   * only and return at once (never behind this instance's own queued writes either).
   */
  private async lockedIfFree<T>(doing: string, op: Op<T> | undefined): Promise<{ value: T | undefined; sync: T.SyncResult }> {
    this.assertOpen();
    const lock = tryLock(this.lockFile, this.lockRequest(doing));
    if ("release" in lock) {
      try {
        return this.underLock(lock, op, true);
      } finally {
        lock.release();
      }
    }
    const outcome = this.foldInMemory();
    return { value: undefined, sync: { ...counts(outcome), journalsRemoved: 0, wrote: false, busy: describeHolder(lock) } };
  }

  /**
   * Folds the journals into an in-memory copy of the index and the segments it touches (another process
   * holds the lock): nothing is written or deleted. Readers use that copy until the index on disk changes.
   */
  private foldInMemory(): FoldOutcome {
    if (this.reader.layoutOne) return NOTHING_FOLDED; // a 1.0 file is read once converted
    for (let attempt = 0; ; attempt++) {
      const before = fileSignature(this.dbFile);
      let loaded: LoadedIndex;
      try {
        loaded = loadIndexFile(this.SQL, this.home, false);
      } catch {
        return NOTHING_FOLDED; // damaged or converting: the holder repairs it
      }
      const tx = new WriteTx(this.SQL, this.home, loaded.index, loaded.signature, this.txOptions(true));
      try {
        const applier = new Applier(tx);
        const outcome = foldJournals(tx, applier, this.journalDir, { warn: (m) => this.warn(m) });
        applier.flush();
        // A writer that committed meanwhile (and deleted journals it folded) would leave this copy short.
        if (fileSignature(this.dbFile) !== before && attempt < 3) {
          tx.close();
          tx.index.close();
          continue;
        }
        tx.refreshInfos(); // the index's summary of what the fold added (counts, times), for the reads
        this.reader.adoptShadow(tx.index, before, tx.loadedSegments());
        return outcome;
      } catch (err) {
        tx.close();
        tx.index.close();
        // A segment file superseded while we read (a writer committed): try again on the new index.
        if ((err as NodeJS.ErrnoException).code === "ENOENT" && attempt < 3) continue;
        throw err;
      }
    }
  }

  /**
   * The one write, under the lock: load the index from disk, fold journals, run `op` (and
   * `beforeCrashMarks` inside the fold), commit if anything changed (folding again on top of an index that
   * changed under the lock), delete finished journals. Synchronous: nothing else in this process runs
   * while the lock is held.
   */
  private underLock<T>(lock: HeldLock, op: Op<T> | undefined, fold: boolean, beforeCrashMarks?: (applier: Applier) => boolean): { value: T; sync: T.SyncResult } {
    // Writers killed mid-write leave temp files (of the index, segments, this lock, results): the lock's
    // holder removes them.
    const target = writeTarget(this.dbFile);
    removeDeadWritersTemps(path.dirname(target), [tempFilePrefix(target), tempFilePrefix(this.lockFile)]);
    removeDeadWritersTemps(storageTempDir(this.home), [""]);
    removeDeadWritersTemps(dataDir(this.home), ["."]);
    for (let attempt = 1; ; attempt++) {
      try {
        return this.writeOnce(lock, op, fold, beforeCrashMarks);
      } catch (err) {
        // Only a process that ignored the lock (Flowline 1.0 broke locks older than 30 s; someone deleted
        // the lock file) can have replaced the index: writing now would drop what it wrote. Fold again on it.
        if (!(err instanceof IndexMovedError)) throw err;
        if (attempt >= MAX_REFOLDS) throw new StoreConflictError(this.dbFile, this.lockFile, MAX_REFOLDS);
      }
    }
  }

  private writeOnce<T>(lock: HeldLock, op: Op<T> | undefined, fold: boolean, beforeCrashMarks?: (applier: Applier) => boolean): { value: T; sync: T.SyncResult } {
    const loaded = this.loadForWrite();
    const tx = new WriteTx(this.SQL, this.home, loaded.index, loaded.signature, this.txOptions(false));
    let adopted = false;
    try {
      const applier = new Applier(tx);
      if (fold) {
        const pending = pendingJournalBytes(tx, this.journalDir);
        if (pending >= STATUS_MIN_BYTES) lock.status(`folding ${(pending / 2 ** 20).toFixed(0)} MB of journals`);
      }
      const outcome = fold
        ? foldJournals(tx, applier, this.journalDir, { warn: (m) => this.warn(m), beforeCrashMarks: beforeCrashMarks ? () => beforeCrashMarks(applier) : undefined })
        : NOTHING_FOLDED;
      // The runs folded are written into their segments before `op` runs: an op may write and let go of
      // segments one at a time (prune), and the applier must not hold any it let go.
      applier.release();
      const change = op ? op(tx, applier) : { value: undefined as T, changed: false };
      applier.flush();
      const sync: T.SyncResult = { ...counts(outcome), journalsRemoved: 0, wrote: false };
      let signature: FileSignature = loaded.signature;
      if (loaded.fresh || outcome.changed || change.changed || tx.dirty) {
        signature = tx.commit();
        sync.wrote = true;
      }
      // Only now that the index says these journals are finished may they go.
      for (const file of outcome.finishedFiles) {
        try {
          fs.unlinkSync(file);
          sync.journalsRemoved++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.warn(`Cannot delete journal ${file}: ${err}`);
        }
      }
      // The committed index and segments are exactly what is on disk now: readers use them as they are.
      this.reader.adopt(tx.index, signature, tx.loadedSegments());
      adopted = true;
      return { value: change.value, sync };
    } finally {
      if (!adopted) {
        tx.close();
        tx.index.close();
      }
    }
  }
}

function counts(outcome: FoldOutcome): Omit<T.SyncResult, "journalsRemoved" | "wrote"> {
  return { eventsFolded: outcome.eventsFolded, runsCrashed: outcome.runsCrashed, malformedLines: outcome.malformedLines };
}

function folderBytes(dir: string): number {
  let total = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += folderBytes(p);
    else if (e.isFile()) {
      try {
        total += fs.statSync(p).size;
      } catch {
        // removed meanwhile
      }
    }
  }
  return total;
}
