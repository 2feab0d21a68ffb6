import type { ArtifactFields, ArtifactType, FlowRunIdentity, LogLevel, StateType, TaskRunIdentity } from "../shared/events";

// The shapes the store returns. Times are ISO strings, JSON columns come back parsed, and absent values
// are `undefined` (never null) so they disappear from JSON output.

export interface RunState {
  type: StateType;
  name: string;
  message?: string;
}

export interface FlowRun extends FlowRunIdentity {
  state: RunState;
  runCount: number;
  created: string;
  expectedStartTime?: string;
  /** When it first entered Running. */
  startTime?: string;
  /** When it entered a terminal state. */
  endTime?: string;
  /** Storage key of the persisted result (relative to the storage folder). */
  resultKey?: string;
  /** JSON-safe preview of the result, when the engine sent one. */
  result?: unknown;
  file?: string;
  pid?: number;
  /** How many task runs it has, in all and by state type. */
  taskRunCounts: { total: number; byState: Partial<Record<StateType, number>> };
}

export interface TaskRun extends TaskRunIdentity {
  state: RunState;
  runCount: number;
  created: string;
  startTime?: string;
  endTime?: string;
  resultKey?: string;
}

export interface FlowRunDetail {
  flowRun: FlowRun;
  /** Its first task runs, oldest first (flowRun.taskRunCounts says how many there are; listTaskRuns pages). */
  taskRuns: TaskRun[];
  /** Flow runs started from inside it (direct children), oldest first. */
  subflowRuns: FlowRun[];
}

export interface StateHistoryEntry {
  seq: number;
  runId: string;
  kind: "flow" | "task";
  type: StateType;
  name: string;
  message?: string;
  timestamp: string;
}

export interface LogEntry {
  /** Increases with every stored log line: pass the last one seen as `afterSeq` to get only new lines. */
  seq: number;
  flowRunId?: string;
  taskRunId?: string;
  level: LogLevel;
  message: string;
  timestamp: string;
}

export interface Artifact extends ArtifactFields {
  updated: string;
  /** Store-wide insertion order; breaks ties between versions created in the same millisecond. */
  seq: number;
}

export interface CacheEntry {
  storageKey: string;
  taskRunId?: string;
  expiresAt?: string;
}

export interface ListFlowRunsOptions {
  /** Default: all of them. */
  limit?: number;
  offset?: number;
  flowName?: string;
  /** Leave out subflow runs. */
  topLevel?: boolean;
}

export interface ListTaskRunsOptions {
  /** Default 100. */
  limit?: number;
  offset?: number;
  /** Only task runs in this state type. */
  state?: StateType;
}

export interface GetLogsOptions {
  flowRunId: string;
  /** Only this task run's lines. */
  taskRunId?: string;
  /** Only lines stored after this seq (for following a run). */
  afterSeq?: number;
  /** At most this many lines: the latest ones, still in order. */
  limit?: number;
}

export interface ListArtifactsOptions {
  key?: string;
  type?: ArtifactType;
  flowRunId?: string;
  taskRunId?: string;
  /** true: only artifacts with a key; false: only those without one. */
  keyed?: boolean;
  /** Only the latest version of each key (unkeyed artifacts are left out, as in Prefect's `artifact ls`). */
  latestOnly?: boolean;
  /** Case-insensitive substring of key, description or data (data is matched as its JSON text). */
  text?: string;
  limit?: number;
  /** Skip this many (with `limit`, for pages). */
  offset?: number;
  /** Leave `data` undefined (cheaper for listings of big tables). Default true. */
  includeData?: boolean;
}

/** Options of listArtifactKeys: a page of keys (newest first), of one type, with the latest version's data. */
export interface ArtifactKeysOptions {
  type?: ArtifactType;
  includeData?: boolean;
  limit?: number;
  offset?: number;
}

export interface ArtifactVersionsOptions {
  limit?: number;
  /** Default true. */
  includeData?: boolean;
}

/** A key and how many versions it has; `latest` is its newest version (without data unless asked for). */
export interface ArtifactKeySummary {
  key: string;
  versions: number;
  latest: Artifact;
}

export interface PruneOptions {
  /** Deletes what is older than this many days (fractions allowed; 0: everything that ended). */
  olderThanDays?: number;
  /** Everything that ended, whatever its age (as olderThanDays: 0). */
  all?: boolean;
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** Also delete the result files of the deleted runs, unless a live cache entry points at them. */
  results?: boolean;
  /** "Now", for the cut-off (default: the current time). */
  now?: Date;
}

/** What a prune deleted (or, with dryRun, would delete). */
export interface PruneResult {
  /** ISO time: runs that ended before it, and artifacts last changed before it, went. */
  cutoff: string;
  dryRun: boolean;
  flowRuns: number;
  taskRuns: number;
  states: number;
  logs: number;
  artifacts: number;
  /** Result files deleted (with `results`). */
  resultFiles?: number;
}

export interface SyncOptions {
  /**
   * Wait for the lock while another live process holds it, so the file is written by this sync. Default:
   * never wait (a read must not stand behind a writer); fold into this process's copy instead.
   */
  wait?: boolean;
}

export interface SyncResult {
  /** Journal lines applied (the closing line included). */
  eventsFolded: number;
  /** Journal files deleted because they were fully folded and finished. */
  journalsRemoved: number;
  /** Runs marked Crashed because their journal's writer died. */
  runsCrashed: number;
  /** Lines skipped because they were not valid events. */
  malformedLines: number;
  /** Whether the database file was written. */
  wrote: boolean;
  /**
   * Set when another live process held the lock and this sync did not wait: it folded the journals into
   * this process's copy only (reads show every acknowledged write; the holder, or a later sync, writes the
   * file). Says who holds the lock and what it is doing.
   */
  busy?: string;
  /** What retention (FLOWLINE_RETENTION_DAYS / the retentionDays option) deleted, when it ran in this sync. */
  pruned?: PruneResult;
}
