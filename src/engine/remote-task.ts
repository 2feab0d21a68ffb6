import { UserError } from "./errors";
import { LogBudget } from "./log-budget";
import { noChildrenYet, type FlowRunRecord } from "./run-records";
import { Stopper } from "./stopper";
import { Submissions } from "./submissions";

// Task runs that run in another process: a flow with `taskRunner: "distributed"` hands each of its task
// runs, once created and its arguments resolved, to a RemoteTaskRunner (team mode's queue, src/team), and
// a worker runs it with the engine's own attempts, retries, caching and results (runTaskRunHere).

export type { RemoteTaskCall, RemoteTaskRunner } from "./run-records";

/** What a worker knows of the flow run a task run belongs to (sent with the task run). */
export interface RemoteFlowRunFields {
  id: string;
  name: string;
  flowName: string;
  parameters: Record<string, unknown>;
  tags: string[];
  expectedStartTime: string;
  runCount: number;
}

/** A worker's stand-in for a flow run that lives in another process: a context for its task runs. */
export function remoteFlowRun(f: RemoteFlowRunFields): FlowRunRecord {
  return {
    id: f.id,
    name: f.name,
    flowName: f.flowName,
    parameters: f.parameters,
    tags: f.tags,
    expectedStartTime: new Date(f.expectedStartTime),
    parentFlowRunId: undefined,
    parentTaskRunId: undefined,
    runCount: f.runCount,
    stopper: new Stopper(),
    logPrints: false,
    ...noChildrenYet(),
    submissions: new Submissions(),
    logBudget: new LogBudget(),
  };
}

export function distributedNeedsTeam(flowName: string): UserError {
  return new UserError(
    `Flow '${flowName}' has taskRunner "distributed", which needs team mode: set FLOWLINE_DATABASE_URL (or flowline.databaseUrl) ` +
      `to a PostgreSQL database and start workers with \`flowline worker <file>\`, or use taskRunner "concurrent".`,
  );
}
