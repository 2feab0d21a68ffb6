import * as path from "node:path";
import type { RemoteFlowRunFields } from "../engine/remote-task";
import type { StateType } from "../shared/events";

// What travels between a distributed flow's process and a worker: the job on the queue, and the outcome
// the worker writes back. Values cross as result documents (result-document.ts), so whatever a result can
// hold (Dates, Maps, errors, a task's own serializer) crosses too.

export interface TaskJob {
  flowRun: RemoteFlowRunFields;
  taskRun: { id: string; name: string; taskName: string; seq: number };
  /** A result document of the function's arguments (JSON serializer). */
  args: string;
  /** The flow file on the machine that started the flow (for messages). */
  file: string;
}

export interface TaskOutcome {
  type: StateType;
  name: string;
  message?: string;
  /** A result document of the value (the task's serializer), when Completed. */
  value?: string;
  /** A result document of the error (JSON serializer), when it failed. */
  error?: string;
}

/** A file's queue: the workers started with `flowline worker <file>` serve the flows of files so named. */
export function queueName(file: string): string {
  const base = path.basename(file).replace(/\.[^.]*$/, "");
  return `flowline-${base.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80) || "flows"}`;
}

/** How long a worker holds a task run before the queue gives it to another (a worker killed mid-task). */
export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.FLOWLINE_TASK_LEASE_SECONDS);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 300;
}

/** How many times a task run is handed to another worker after the one running it died. */
export const WORKER_DEATHS_TOLERATED = 3;
