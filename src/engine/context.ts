import { AsyncLocalStorage } from "node:async_hooks";
import type { FlowRunRecord, TaskRunRecord } from "./run-records";

// The run context lives on async context, not in a module variable: two tasks running at once must
// each see their own task run.
export interface RunContext {
  readonly flowRun: FlowRunRecord;
  readonly taskRun?: TaskRunRecord;
}

export const runContext = new AsyncLocalStorage<RunContext>();

export function currentContext(): RunContext | undefined {
  return runContext.getStore();
}
