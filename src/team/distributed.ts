import { randomUUID } from "node:crypto";
import { CancelledError } from "../engine/errors";
import type { EngineSink } from "../engine/config";
import type { RemoteTaskCall, RemoteTaskRunner } from "../engine/remote-task";
import { readResultDocument, resultDocument } from "../engine/result-document";
import { describeError, failureState } from "../engine/run-common";
import type { UserSerializer } from "../engine/serializer";
import { State } from "../engine/states";
import type { StopListener } from "../engine/stopper";
import { teamDrivers, type PgBoss } from "./drivers";
import { CANCEL_CHANNEL, OUTCOME_CHANNEL, SENT_CHANNEL } from "./pg-schema";
import { teamPool } from "./pg-pool";
import { leaseSeconds, queueName, WORKER_DEATHS_TOLERATED, type TaskJob, type TaskOutcome } from "./task-job";

// A distributed flow's side of its task runs: each is sent to the flow file's queue on pg-boss (on the team
// database) and awaited. Workers (`flowline worker <file>`, worker.ts) run them and write how each ended
// (task_outcomes), then NOTIFY; this process reads the outcome and the flow goes on as if the task had run
// here. A job whose workers all died is reported Crashed; cancelling the flow cancels its queued jobs and
// tells every worker to stop its running ones.

interface Waiter {
  call: RemoteTaskCall;
  jobId: string;
  resolve(state: State): void;
}

const SAFETY_POLL_MS = 3000;

export class DistributedTasks implements RemoteTaskRunner {
  private started: Promise<{ boss: PgBoss }> | undefined;
  private readonly waiting = new Map<string, Waiter>();
  private readonly cancelled = new Set<string>();
  private poll: NodeJS.Timeout | undefined;
  private listener: { end(): Promise<void> } | undefined;
  private readonly queue: string;
  private outbox: Array<{ job: TaskJob; id: string; resolve(): void; reject(err: unknown): void }> = [];
  /** Task runs whose outcome was announced, read together at the next tick. */
  private announced = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly file: string,
    private readonly sink: () => EngineSink,
  ) {
    this.queue = queueName(file);
  }

  async run(call: RemoteTaskCall): Promise<State> {
    const { flowRun, taskRun } = call;
    let args: string;
    try {
      args = resultDocument(call.callArgs);
    } catch (err) {
      return this.end(call, new State("Failed", "Failed", `The task run's arguments cannot be sent to a worker: ${describeError(err)}`, undefined, err));
    }
    const job: TaskJob = {
      flowRun: { id: flowRun.id, name: flowRun.name, flowName: flowRun.flowName, parameters: flowRun.parameters, tags: flowRun.tags, expectedStartTime: flowRun.expectedStartTime.toISOString(), runCount: flowRun.runCount },
      taskRun: { id: taskRun.id, name: taskRun.name, taskName: taskRun.taskName, seq: call.taskSeq },
      args,
      file: this.file,
    };
    let jobId: string;
    try {
      jobId = await this.send(job);
    } catch (err) {
      return this.end(call, new State("Crashed", "Crashed", `Could not send the task run to the queue: ${describeError(err)}`, undefined, err));
    }
    const stopper = flowRun.stopper;
    const state = new Promise<State>((resolve) => this.waiting.set(taskRun.id, { call, jobId, resolve }));
    const onStop: StopListener = {
      onStopped: (reason: unknown) => void this.cancelFlow(flowRun.id, reason),
      stopOwner: undefined,
      stopPrev: undefined,
      stopNext: undefined,
    };
    stopper.listen(onStop);
    if (stopper.stopped) void this.cancelFlow(flowRun.id, stopper.reason);
    this.armPoll();
    void this.check([taskRun.id]);
    const final = await state;
    stopper.unlisten(onStop);
    return final;
  }

  /** Ends a task run here (the worker never got it): its state is recorded by this process. */
  private end(call: RemoteTaskCall, state: State): State {
    this.sink().emit({ e: "state", kind: "task", id: call.taskRun.id, type: state.type, name: state.name, message: state.message, ts: new Date().toISOString() });
    return state;
  }

  private start(): Promise<{ boss: PgBoss }> {
    this.started ??= (async () => {
      await teamPool(this.url);
      const { PgBoss: Boss, pg } = teamDrivers();
      const boss = new Boss({ connectionString: this.url, supervise: false, schedule: false, max: 2, application_name: "flowline-flow" });
      boss.on("error", () => undefined); // a lost connection shows as a failed send or a missing outcome
      await boss.start();
      await ensureQueue(boss, this.queue);
      const client = new pg.Client({ connectionString: this.url, application_name: "flowline-flow-listen" });
      client.on("error", () => undefined);
      client.on("notification", (n) => {
        if (n.channel !== OUTCOME_CHANNEL || !n.payload || !this.waiting.has(n.payload)) return;
        this.announced.add(n.payload);
        if (this.announced.size === 1) {
          setImmediate(() => {
            const ids = [...this.announced];
            this.announced.clear();
            void this.check(ids);
          });
        }
      });
      await client.connect();
      await client.query(`LISTEN ${OUTCOME_CHANNEL}`);
      this.listener = client;
      return { boss };
    })();
    return this.started;
  }

  /**
   * Queues a job; the jobs of one tick go in one insert (a map sends many at once), followed by one
   * NOTIFY that wakes idle workers. Resolves to the job's id once it is on the queue.
   */
  private send(job: TaskJob): Promise<string> {
    const id = randomUUID();
    return new Promise<string>((resolve, reject) => {
      this.outbox.push({ job, id, resolve: () => resolve(id), reject });
      if (this.outbox.length > 1) return;
      setImmediate(() => {
        const batch = this.outbox.splice(0);
        const options = { retryLimit: WORKER_DEATHS_TOLERATED, retryDelay: 0, expireInSeconds: leaseSeconds() };
        this.start()
          .then(async ({ boss }) => {
            await boss.insert(batch.map((b) => ({ id: b.id, name: this.queue, data: b.job as unknown as object, ...options })));
            const pool = await teamPool(this.url);
            await pool.query("SELECT pg_notify($1, $2)", [SENT_CHANNEL, this.queue]);
          })
          .then(() => batch.forEach((b) => b.resolve()), (err: unknown) => batch.forEach((b) => b.reject(err)));
      });
    });
  }

  /** Reads the outcomes of these task runs, if written, and resolves their waiters. */
  private async check(ids: string[]): Promise<void> {
    try {
      const pool = await teamPool(this.url);
      const rows = (await pool.query<{ task_run_id: string; body: string }>("SELECT task_run_id, body FROM task_outcomes WHERE task_run_id = ANY($1)", [ids])).rows;
      for (const row of rows) {
        const w = this.waiting.get(row.task_run_id);
        if (w) this.settle(w, this.stateOf(w.call, JSON.parse(row.body) as TaskOutcome));
      }
      // A job whose every worker died (the lease ran out each time) will never have an outcome.
      const left = ids.filter((id) => this.waiting.has(id));
      if (left.length === 0 || !this.started) return;
      const { boss } = await this.started;
      for (const id of left) {
        const w = this.waiting.get(id);
        if (!w) continue;
        const job = await boss.getJobById(this.queue, w.jobId);
        if (job?.state === "failed") {
          const said = (job.output as { message?: string } | null)?.message;
          const message = `No worker finished this task run in ${WORKER_DEATHS_TOLERATED + 1} tries (workers died or lost the database)${said ? `; the last said: ${said}` : ""}.`;
          this.settle(w, this.end(w.call, new State("Crashed", "Crashed", message)));
        }
      }
    } catch {
      // The next notification or poll tries again.
    }
  }

  private stateOf(call: RemoteTaskCall, o: TaskOutcome): State {
    try {
      const user = typeof call.serializer === "object" ? (call.serializer as UserSerializer) : undefined;
      const value = o.value !== undefined ? readResultDocument(o.value, user, "The worker's result") : undefined;
      const error = o.error !== undefined ? readResultDocument(o.error, undefined, "The worker's error") : undefined;
      return new State(o.type, o.name, o.message, value, error);
    } catch (err) {
      return failureState(err, "Task run");
    }
  }

  private settle(w: Waiter, state: State): void {
    if (!this.waiting.delete(w.call.taskRun.id)) return;
    w.resolve(state);
    if (this.waiting.size === 0 && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  /** Notifications can be missed (a reconnect): look now and then while task runs are out. */
  private armPoll(): void {
    if (this.poll) return;
    this.poll = setInterval(() => void this.check([...this.waiting.keys()]), SAFETY_POLL_MS);
  }

  /** The flow run stopped: cancel its queued jobs, tell workers to stop its running ones, end them here. */
  private async cancelFlow(flowRunId: string, reason: unknown): Promise<void> {
    const mine = [...this.waiting.values()].filter((w) => w.call.flowRun.id === flowRunId);
    if (mine.length === 0) return;
    const message = reason instanceof Error ? reason.message : "The flow run was cancelled.";
    for (const w of mine) this.settle(w, this.end(w.call, new State("Cancelled", "Cancelled", message, undefined, reason ?? new CancelledError(message))));
    if (this.cancelled.has(flowRunId)) return;
    this.cancelled.add(flowRunId);
    try {
      const { boss } = await this.start();
      await boss.cancel(this.queue, mine.map((w) => w.jobId));
      const pool = await teamPool(this.url);
      await pool.query("SELECT pg_notify($1, $2)", [CANCEL_CHANNEL, flowRunId]);
    } catch {
      // Workers stop at their lease's end at worst; the task runs are already Cancelled here.
    }
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (!this.started) return;
    const { boss } = await this.started.catch(() => ({ boss: undefined }));
    await Promise.all([boss?.stop({ graceful: false, wait: false }), this.listener?.end()].map((p) => Promise.resolve(p).catch(() => undefined)));
  }
}

/** Creates the queue once; another process creating it at the same moment is no error. */
export async function ensureQueue(boss: PgBoss, name: string): Promise<void> {
  if (await boss.getQueue(name)) return;
  await boss.createQueue(name).catch(async (err: unknown) => {
    if (!(await boss.getQueue(name))) throw err;
  });
}
