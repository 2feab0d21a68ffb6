import * as os from "node:os";
import * as path from "node:path";
import { CancelledError } from "../engine/errors";
import { adoptExportNames } from "../engine/flow";
import { remoteFlowRun } from "../engine/remote-task";
import { readResultDocument, resultDocument } from "../engine/result-document";
import type { SerializerOption } from "../engine/results";
import { describeError, failureState } from "../engine/run-common";
import { resolveSerializer } from "../engine/serializer";
import { State } from "../engine/states";
import { definedTask, runTaskRunHere } from "../engine/task";
import type { FlowRunRecord } from "../engine/run-records";
import { aliasFlowline, loadFlowFile } from "./load-flow-file";
import { teamDrivers, type PgBoss } from "../team/drivers";
import { ensureQueue } from "../team/distributed";
import { configureTeamEngine, type TeamEngine } from "../team/engine-setup";
import { CANCEL_CHANNEL, OUTCOME_CHANNEL, SENT_CHANNEL } from "../team/pg-schema";
import { teamPool } from "../team/pg-pool";
import { queueName, type TaskJob, type TaskOutcome } from "../team/task-job";

// `flowline worker <file>`: serves the task runs that distributed flows of files named like <file> send
// to the queue. The file is loaded as `flowline run` loads it, in this process, with this engine; each
// task run runs with the engine's own attempts, caching and results, under the id and name its flow's
// process gave it. Its states, logs and artifacts go to the team database like any run's; its outcome is
// written last (task_outcomes) and the flow's process is told. A worker killed mid-task leaves its job
// active until the lease ends; pg-boss then hands it to another worker, which counts the attempt.

export interface WorkerOptions {
  file: string;
  concurrency: number;
  url: string;
  home: string;
  /** Where the worker says what it does (stderr). */
  say(line: string): void;
}

interface Running {
  job: TaskJob;
  flowRun: FlowRunRecord;
}

export async function workerMain(enginePath: string, opts: WorkerOptions): Promise<void> {
  aliasFlowline(enginePath);
  const team = configureTeamEngine(opts.home, opts.url, undefined, (err) => opts.say(`the team database refused a write: ${err.message}`));
  const file = path.resolve(opts.file);
  const queue = queueName(file);
  const running = new Map<string, Running>();
  let exports: Promise<Record<string, unknown>> | undefined;
  const load = (): Promise<Record<string, unknown>> => {
    exports ??= loadFlowFile(file, true).then((e) => {
      adoptExportNames(e);
      return e;
    });
    // A file that failed to load is tried again for the next task run (it may have been fixed).
    exports.catch(() => (exports = undefined));
    return exports;
  };

  await teamPool(opts.url);
  const { PgBoss: Boss, pg } = teamDrivers();
  // Maintenance every second: it is what notices a dead worker's job once its lease ran out.
  const boss: PgBoss = new Boss({ connectionString: opts.url, supervise: true, schedule: false, maintenanceIntervalSeconds: 1, max: opts.concurrency + 2, application_name: "flowline-worker" });
  boss.on("error", (err: Error) => opts.say(`queue: ${err.message}`));
  await boss.start();
  await ensureQueue(boss, queue);

  const cancels = new pg.Client({ connectionString: opts.url, application_name: "flowline-worker-cancel" });
  cancels.on("error", (err) => opts.say(`lost the cancel channel: ${err.message}`));
  const slots: string[] = [];
  cancels.on("notification", (n) => {
    // New task runs on the queue: wake the idle slots now rather than at their next poll.
    if (n.channel === SENT_CHANNEL && n.payload === queue) for (const id of slots) boss.notifyWorker(id);
    for (const r of running.values()) {
      if (n.channel === CANCEL_CHANNEL && r.flowRun.id === n.payload) r.flowRun.stopper.stop(new CancelledError("The flow run was cancelled."));
    }
  });
  await cancels.connect();
  await cancels.query(`LISTEN ${CANCEL_CHANNEL}; LISTEN ${SENT_CHANNEL}`);

  const serve = async (jobId: string, job: TaskJob, retryCount: number): Promise<void> => {
    const flowRun = remoteFlowRun(job.flowRun);
    running.set(jobId, { job, flowRun });
    opts.say(`task run ${job.taskRun.name} of flow run ${job.flowRun.name}: taken${retryCount > 0 ? ` again (a worker that held it died; try ${retryCount + 1})` : ""}`);
    try {
      const state = await runOne(job, flowRun, retryCount, load, team, opts.url);
      await team.sink.committed();
      await writeOutcome(opts.url, job, outcomeOf(state, job, definedTask(job.taskRun.seq, job.taskRun.taskName)?.options.resultSerializer));
      opts.say(`task run ${job.taskRun.name} of flow run ${job.flowRun.name}: ${state.name}${state.type === "Completed" ? "" : ` (${state.message ?? ""})`}`);
    } finally {
      running.delete(jobId);
    }
  };
  for (let i = 0; i < opts.concurrency; i++) {
    const slot: string = await boss.work<TaskJob>(queue, { batchSize: 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async ([job]) => {
      await serve(job.id, job.data, job.retryCount);
      boss.notifyWorker(slot); // a slot that just finished one asks for the next at once, not after a poll
    });
    slots.push(slot);
  }
  opts.say(`worker on ${os.hostname()} (pid ${process.pid}) serving queue ${queue} for ${path.basename(file)}, ${opts.concurrency} at a time`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  opts.say("stopping: finishing the task runs in hand");
  await boss.stop({ graceful: true, wait: true, timeout: 30_000 }).catch(() => undefined);
  await cancels.end().catch(() => undefined);
}

async function runOne(job: TaskJob, flowRun: FlowRunRecord, retryCount: number, load: () => Promise<Record<string, unknown>>, team: TeamEngine, url: string): Promise<State> {
  const fail = (message: string, err?: unknown): State => {
    const state = new State("Failed", "Failed", message, undefined, err ?? new Error(message));
    team.sink.emit({ e: "state", kind: "task", id: job.taskRun.id, type: "Failed", name: "Failed", message, ts: new Date().toISOString() });
    return state;
  };
  const pool = await teamPool(url);
  const row = (await pool.query<{ flow_state: string | null; run_count: number | null }>(
    "SELECT (SELECT state_type FROM flow_runs WHERE id = $1) AS flow_state, (SELECT run_count FROM task_runs WHERE id = $2) AS run_count",
    [job.flowRun.id, job.taskRun.id],
  )).rows[0];
  if (row.flow_state === "Cancelled") return new State("Cancelled", "Cancelled", "The flow run was cancelled before a worker took this task run.");
  let exports: Record<string, unknown>;
  try {
    exports = await load();
  } catch (err) {
    return fail(`The worker on ${os.hostname()} could not load the flow file ${job.file}: ${describeError(err).split("\n")[0]}`, err);
  }
  const task = definedTask(job.taskRun.seq, job.taskRun.taskName);
  if (!task || exports === undefined) {
    return fail(`The worker on ${os.hostname()} serves a flow file that defines no task '${job.taskRun.taskName}'; start it with the file of the flow (${path.basename(job.file)}).`);
  }
  let args: unknown[];
  try {
    args = readResultDocument(job.args, undefined, "The task run's arguments") as unknown[];
  } catch (err) {
    return fail(`The task run's arguments could not be read: ${describeError(err)}`, err);
  }
  // runCount goes on from the attempts already made: by a worker that died with it, or recorded before.
  const attemptsBefore = Math.max(retryCount, row.run_count ?? 0);
  try {
    return await runTaskRunHere(task, args, flowRun, { id: job.taskRun.id, name: job.taskRun.name }, attemptsBefore);
  } catch (err) {
    return failureState(err, "Task run");
  }
}

function outcomeOf(state: State, job: TaskJob, serializer: SerializerOption | undefined): TaskOutcome {
  const out: TaskOutcome = { type: state.type, name: state.name, message: state.message };
  try {
    // The value crosses in the task's own serializer: whatever it can store, the flow gets back.
    if (state.type === "Completed") out.value = resultDocument(state.result(), resolveSerializer(serializer ?? "json"));
    else if (state.error !== undefined) out.error = resultDocument(state.error);
  } catch (err) {
    return { type: "Failed", name: "Failed", message: `The result of task run ${job.taskRun.name} cannot be sent back to its flow: ${describeError(err)}` };
  }
  return out;
}

async function writeOutcome(url: string, job: TaskJob, outcome: TaskOutcome): Promise<void> {
  const pool = await teamPool(url);
  await pool.query(
    "WITH o AS (INSERT INTO task_outcomes (task_run_id, flow_run_id, body, created) VALUES ($1, $2, $3, $4) ON CONFLICT (task_run_id) DO NOTHING) " +
      "SELECT pg_notify($5, $1)",
    [job.taskRun.id, job.flowRun.id, JSON.stringify(outcome), new Date().toISOString(), OUTCOME_CHANNEL],
  );
}
