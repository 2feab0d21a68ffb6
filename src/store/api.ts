import type { StateType } from "../shared/events";
import type {
  Artifact,
  ArtifactKeySummary,
  ArtifactKeysOptions,
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
  SyncOptions,
  SyncResult,
  TaskRun,
} from "./types";

/**
 * What every store offers, whoever holds it: the sql.js store in this process (Store), the same store in a
 * worker thread (the extension's StoreClient), and later other backends. All of it is asynchronous.
 */
export interface StoreApi {
  readonly home: string;
  sync(opts?: SyncOptions): Promise<SyncResult>;
  listFlowRuns(opts?: ListFlowRunsOptions): Promise<FlowRun[]>;
  getFlowRun(idOrPrefix: string, opts?: { taskLimit?: number }): Promise<FlowRunDetail>;
  listTaskRuns(flowRunId: string, opts?: ListTaskRunsOptions): Promise<TaskRun[]>;
  getTaskRun(flowRunId: string, taskRunId: string): Promise<TaskRun | undefined>;
  getStateHistory(runId: string, flowRunId?: string): Promise<StateHistoryEntry[]>;
  getLogs(opts: GetLogsOptions): Promise<LogEntry[]>;
  listArtifacts(opts?: ListArtifactsOptions): Promise<Artifact[]>;
  getArtifactVersions(key: string, opts?: ArtifactVersionsOptions): Promise<Artifact[]>;
  listArtifactKeys(opts?: ArtifactKeysOptions): Promise<ArtifactKeySummary[]>;
  getArtifact(id: string, opts?: { includeData?: boolean }): Promise<Artifact | undefined>;
  findArtifact(idOrPrefix: string): Promise<Artifact>;
  homeSize(): Promise<number>;
  prune(opts: PruneOptions): Promise<PruneResult>;
  markRuns(flowRunId: string, type: Extract<StateType, "Crashed" | "Cancelled">, message: string): Promise<number>;
  deleteArtifact(id: string): Promise<boolean>;
  deleteArtifactKey(key: string): Promise<number>;
  close(): void;
}

/** The methods a StoreClient forwards to its worker (everything but `home` and `close`). */
export const STORE_METHODS = [
  "sync",
  "listFlowRuns",
  "getFlowRun",
  "listTaskRuns",
  "getTaskRun",
  "getStateHistory",
  "getLogs",
  "listArtifacts",
  "getArtifactVersions",
  "listArtifactKeys",
  "getArtifact",
  "findArtifact",
  "homeSize",
  "prune",
  "markRuns",
  "deleteArtifact",
  "deleteArtifactKey",
] as const satisfies ReadonlyArray<keyof StoreApi>;

export type StoreMethod = (typeof STORE_METHODS)[number];
