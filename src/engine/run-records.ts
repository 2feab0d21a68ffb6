import type { LogBudget } from "./log-budget";
import type { Stopper } from "./stopper";
import type { Submissions } from "./submissions";
import type { SerializerOption } from "./serializer";
import type { State } from "./states";

// The engine's own record of a run while it is going. Kept small: a flow can have many task runs.

export interface FlowRunRecord {
  readonly id: string;
  readonly name: string;
  readonly flowName: string;
  readonly parameters: Record<string, unknown>;
  readonly tags: string[];
  readonly expectedStartTime: Date;
  readonly parentFlowRunId: string | undefined;
  readonly parentTaskRunId: string | undefined;
  runCount: number;
  /** Stops the current attempt: cancellation, the flow's timeout, or the flow ending. */
  stopper: Stopper;
  readonly logPrints: boolean;
  /** Task runs and subflow runs of this flow run still going; the run waits for them before it ends. */
  active: number;
  /** Called when `active` drops to 0, for a flow run waiting to end. */
  idle: (() => void) | undefined;
  /** Task runs and subflow runs of the current attempt that ended Failed/Crashed, or Cancelled. */
  failedChildren: number;
  cancelledChildren: number;
  childCount: number;
  /** For default task run names `<task>-<n>`, as Prefect numbers them. */
  readonly taskCounters: Map<string, number>;
  /** When its submitted task runs start (the flow's task runner). */
  readonly submissions: Submissions;
  /** What the run tree may still log: a subflow run shares its top-level flow run's. */
  readonly logBudget: LogBudget;
  /** taskRunner "distributed": where its task runs run (team mode's queue). */
  readonly remote?: RemoteTaskRunner;
}

export interface TaskRunRecord {
  readonly id: string;
  readonly name: string;
  readonly taskName: string;
  readonly parameters: Record<string, unknown>;
  readonly tags: string[];
  runCount: number;
  /** Stops the current attempt; its signal is runtime.taskRun.signal. */
  stopper: Stopper;
  readonly logPrints: boolean;
}

/** A task run of a distributed flow, handed to a RemoteTaskRunner once created and its arguments resolved. */
export interface RemoteTaskCall {
  readonly flowRun: FlowRunRecord;
  readonly taskRun: TaskRunRecord;
  /** The task's place among the tasks its file defined (definedTask finds it in a worker). */
  readonly taskSeq: number;
  /** The arguments the task's function is called with (parameters bound, futures resolved). */
  readonly callArgs: unknown[];
  readonly serializer: SerializerOption;
}

/** Runs task runs in another process (team mode's queue; src/engine/remote-task.ts says how). */
export interface RemoteTaskRunner {
  /** Resolves to the task run's final state (never rejects). */
  run(call: RemoteTaskCall): Promise<State>;
}

/** A new flow run's bookkeeping of its task runs and subflow runs: none yet. */
export function noChildrenYet(): Pick<FlowRunRecord, "active" | "idle" | "failedChildren" | "cancelledChildren" | "childCount" | "taskCounters"> {
  return { active: 0, idle: undefined, failedChildren: 0, cancelledChildren: 0, childCount: 0, taskCounters: new Map() };
}
