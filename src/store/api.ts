import type { StateType } from "../shared/events";
import type * as T from "./types";

/**
 * What every store offers, whoever holds it: the sql.js store in this process (Store), the same store in a
 * worker thread (the extension's StoreClient), and later other backends. All of it is asynchronous.
 */
export interface StoreApi {
  readonly home: string;
  sync(opts?: T.SyncOptions): Promise<T.SyncResult>;
  listFlowRuns(opts?: T.ListFlowRunsOptions): Promise<T.FlowRun[]>;
  getFlowRun(idOrPrefix: string, opts?: { taskLimit?: number }): Promise<T.FlowRunDetail>;
  listTaskRuns(flowRunId: string, opts?: T.ListTaskRunsOptions): Promise<T.TaskRun[]>;
  getTaskRun(flowRunId: string, taskRunId: string): Promise<T.TaskRun | undefined>;
  getStateHistory(runId: string, flowRunId?: string): Promise<T.StateHistoryEntry[]>;
  getLogs(opts: T.GetLogsOptions): Promise<T.LogEntry[]>;
  listArtifacts(opts?: T.ListArtifactsOptions): Promise<T.Artifact[]>;
  getArtifactVersions(key: string, opts?: T.ArtifactVersionsOptions): Promise<T.Artifact[]>;
  listArtifactKeys(opts?: T.ArtifactKeysOptions): Promise<T.ArtifactKeySummary[]>;
  getArtifact(id: string, opts?: { includeData?: boolean }): Promise<T.Artifact | undefined>;
  findArtifact(idOrPrefix: string): Promise<T.Artifact>;
  homeSize(): Promise<number>;
  prune(opts: T.PruneOptions): Promise<T.PruneResult>;
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
