// The `flowline` SDK: what a flow file imports.
export { flow, isFlow, type Flow, type FlowOptions, type FlowRunInfoForHooks, type TaskRunnerOption } from "./flow";
export { task, isTask, type Task, type TaskOptions, type TaskRunInfoForHooks, type Futurable } from "./task";
export { Future, unmapped, isFuture, waitFor, allowFailure, type Unmapped, type WaitFor, type AllowFailure } from "./future";
export { runtime, type FlowRunInfo, type TaskRunInfo } from "./runtime";
export { getRunLogger, type RunLogger } from "./logging";
export { taskInputHash, type TaskCacheContext } from "./cache";
export { exponentialBackoff, type RetryDelay } from "./retries";
export { State, Completed, Failed, Cancelled, Crashed, type StateType } from "./states";
export { MissingContextError, TimeoutError, CancelledError, UpstreamError, UserError } from "./errors";
export { createTableArtifact, createMarkdownArtifact, createLinkArtifact, createProgressArtifact, updateProgressArtifact, createImageArtifact, ArtifactError, type ArtifactOptions, type TableArtifactOptions, type LinkArtifactOptions, type TableInput, type TableColumns } from "./artifacts";
export type { StandardSchemaV1 } from "./standard-schema";
