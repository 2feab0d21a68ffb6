import * as fs from "node:fs";
import * as path from "node:path";
import type { SqlJsStatic } from "sql.js";
import type { StateType } from "../engine/events";
import { dbPath, journalDir, storageDir } from "../engine/home";
import { deleteArtifactById, deleteArtifactKey } from "./artifact-writes";
import { Applier } from "./apply";
import type { FileSignature } from "./atomic-file";
import { CorruptDatabaseError } from "./db-file";
import { foldJournals, type FoldOutcome } from "./fold";
import { LayoutOneError, loadIndexFile, type LoadedIndex } from "./files";
import { dataDir, segmentLimit } from "./layout";
import { acquireLock, type LockOptions } from "./lock";
import { convertLayoutOne } from "./migrate-v1";
import * as reads from "./reads";
import { checkDays, cutoffFor, markRetentionRan, pruneSegments, retentionDue, retentionSetting, prunedAnything } from "./retention";
import { deletePrunedResults } from "./result-files";
import { SnapshotReader } from "./snapshot";
import { loadSqlJs } from "./sqljs";
import type {
  Artifact,
  ArtifactKeySummary,
  ArtifactVersionsOptions,
  FlowRun,
  FlowRunDetail,
  GetLogsOptions,
  ListArtifactsOptions,
  ListFlowRunsOptions,
  ListTaskRunsOptions,
  LogEntry,
  PruneOptions,
  PruneResult,
  StateHistoryEntry,
  SyncResult,
  TaskRun,
} from "./types";
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
    this.lockFile = `${this.dbFile}.lock`;
    this.journalDir = journalDir(home);
    const cache = opts.cacheBytes ?? (Number(process.env.FLOWLINE_STORE_CACHE_BYTES) || 64 * 1024 * 1024);
    this.reader = new SnapshotReader(SQL, home, cache, (m) => this.warn(m));
  }

  /** Loads the index; converts a 1.0 database (under the lock) when it finds one. */
  async init(): Promise<void> {
    this.reader.reload();
    if (this.reader.layoutOne) await this.locked(undefined, false);
  }

  // ---- reads ----

  private read<T>(fn: (snap: reads.Snapshot) => T): Promise<T> {
    this.assertOpen();
    return Promise.resolve().then(() => this.reader.read(fn));
  }

  /** Flow runs, newest first (default 50). */
  listFlowRuns(opts?: ListFlowRunsOptions): Promise<FlowRun[]> {
    return this.read((s) => reads.listFlowRuns(s, opts));
  }

  /** A flow run by id or unique id prefix, with its subflow runs and first task runs. Throws StoreLookupError. */
  getFlowRun(idOrPrefix: string, opts: { taskLimit?: number } = {}): Promise<FlowRunDetail> {
    return this.read((s) => reads.getFlowRun(s, idOrPrefix, opts.taskLimit));
  }

  /** A page of a flow run's task runs, in creation order. */
  listTaskRuns(flowRunId: string, opts?: ListTaskRunsOptions): Promise<TaskRun[]> {
    return this.read((s) => reads.listTaskRuns(s, flowRunId, opts));
  }

  getTaskRun(flowRunId: string, taskRunId: string): Promise<TaskRun | undefined> {
    return this.read((s) => reads.getTaskRun(s, flowRunId, taskRunId));
  }

  /** The states a flow run (or, given its flow run's id, a task run) went through, in order. */
  getStateHistory(runId: string, flowRunId?: string): Promise<StateHistoryEntry[]> {
    return this.read((s) => reads.getStateHistory(s, runId, flowRunId));
  }

  /** Log lines of a flow run (its task runs' lines included), oldest first. */
  getLogs(opts: GetLogsOptions): Promise<LogEntry[]> {
    return this.read((s) => reads.getLogs(s, opts));
  }

  listArtifacts(opts?: ListArtifactsOptions): Promise<Artifact[]> {
    return this.read((s) => reads.listArtifacts(s, opts));
  }

  getArtifactVersions(key: string, opts?: ArtifactVersionsOptions): Promise<Artifact[]> {
    return this.read((s) => reads.getArtifactVersions(s, key, opts));
  }

  listArtifactKeys(opts?: { type?: Artifact["type"]; includeData?: boolean }): Promise<ArtifactKeySummary[]> {
    return this.read((s) => reads.listArtifactKeys(s, opts));
  }

  getArtifact(id: string): Promise<Artifact | undefined> {
    return this.read((s) => reads.getArtifact(s, id));
  }

  /** An artifact by id or unique id prefix. Throws StoreLookupError (not found, ambiguous). */
  findArtifact(idOrPrefix: string): Promise<Artifact> {
    return this.read((s) => reads.findArtifact(s, idOrPrefix));
  }

  /** Bytes the home takes on disk: the store's files, journals and stored results. */
  async homeSize(): Promise<number> {
    return folderBytes(this.home);
  }

  // ---- writes (under the lock) ----

  /** Folds every journal; crash-marks dead writers' runs; applies retention (at most hourly) when set. */
  async sync(): Promise<SyncResult> {
    const days = this.retentionDays();
    if (days === undefined) return (await this.locked(undefined, true)).sync;
    const { value, sync } = await this.locked((tx) => {
      const now = new Date();
      if (!retentionDue(tx, now)) return { value: undefined, changed: false };
      const cutoff = cutoffFor(days, now);
      const { counts } = pruneSegments(tx, cutoff, false, false);
      markRetentionRan(tx, now);
      return { value: { cutoff, dryRun: false, ...counts } as PruneResult, changed: true };
    }, true);
    if (value) sync.pruned = value;
    return sync;
  }

  /**
   * Deletes the flow runs that ended more than `olderThanDays` ago (0: every ended run), with their task
   * runs, states, logs and subflow runs, and the artifacts last changed before then. `dryRun` only counts.
   * `results` also deletes the result files of the deleted runs that no live cache entry points at.
   */
  async prune(opts: PruneOptions): Promise<PruneResult> {
    const now = opts.now ?? new Date();
    const days = opts.all ? 0 : checkDays(opts.olderThanDays ?? NaN, "olderThanDays");
    // 0 days: everything ended up to now (a run that ends in this very millisecond included).
    const cutoff = days === 0 ? new Date(now.getTime() + 1).toISOString() : cutoffFor(days, now);
    const { value } = await this.locked((tx) => {
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
    const { value } = await this.locked((tx) => {
      const deleted = deleteArtifactById(tx, id);
      return { value: deleted, changed: deleted };
    }, true);
    return value;
  }

  /** Deletes every version of a key. Returns how many were deleted. */
  async deleteArtifactKey(key: string): Promise<number> {
    const { value } = await this.locked((tx) => {
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
        convertLayoutOne(this.SQL, this.home, err.db, (m) => this.warn(m));
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
    this.warn(`${err.message} It was moved to ${aside} and the index was rebuilt from the segment files; no run or artifact was lost.`);
    return loadIndexFile(this.SQL, this.home, false);
  }

  /**
   * The one write path: lock, load the index from disk, fold journals, run `op` (and `beforeCrashMarks`
   * inside the fold), commit if anything changed, delete finished journals, unlock.
   */
  private locked<T>(op: Op<T> | undefined, fold: boolean, beforeCrashMarks?: (applier: Applier) => boolean): Promise<{ value: T; sync: SyncResult }> {
    this.assertOpen();
    const run = async () => {
      this.assertOpen();
      const lock = await acquireLock(this.lockFile, this.opts.lock);
      try {
        this.assertOpen(); // closed while we waited for the lock
        for (let attempt = 0; ; attempt++) {
          try {
            return this.writeOnce(op, fold, beforeCrashMarks);
          } catch (err) {
            if (!(err instanceof IndexMovedError) || attempt >= 3) throw err;
            this.warn(err.message);
          }
        }
      } finally {
        lock.release();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private writeOnce<T>(op: Op<T> | undefined, fold: boolean, beforeCrashMarks?: (applier: Applier) => boolean): { value: T; sync: SyncResult } {
    const loaded = this.loadForWrite();
    const tx = new WriteTx(this.SQL, this.home, loaded.index, loaded.signature, { segmentLimit: segmentLimit(), now: () => new Date() });
    let adopted = false;
    try {
      const applier = new Applier(tx);
      const outcome = fold
        ? foldJournals(tx, applier, this.journalDir, { warn: (m) => this.warn(m), beforeCrashMarks: beforeCrashMarks ? () => beforeCrashMarks(applier) : undefined })
        : NOTHING_FOLDED;
      const change = op ? op(tx, applier) : { value: undefined as T, changed: false };
      applier.flush();
      const sync: SyncResult = {
        eventsFolded: outcome.eventsFolded,
        journalsRemoved: 0,
        runsCrashed: outcome.runsCrashed,
        malformedLines: outcome.malformedLines,
        wrote: false,
      };
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
