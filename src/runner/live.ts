import type { EngineSink } from "../engine/config";
import { isTerminal, type EngineEvent, type LogEvent, type StateEvent } from "../shared/events";
import { runLabel } from "../shared/log-line";
import type { LiveArtifact, LiveFlowRun, LiveFlowState, LiveLogLine, LiveMessage, TaskRunCounts } from "./protocol";

// The live view of a run, as the flow process reports it to its parent (the CLI, the editor). The journal
// is the record; the parent needs only what it shows while the run goes: flow runs and their states, log
// lines with the label of their run, artifacts created, and task-run counts for the progress. All of it is
// gathered here between sends and sent as one small message, at most every MIN_INTERVAL_MS, never while the
// channel is backed up: a parent that reads slowly gets fewer, larger messages, and what it has not read
// never grows with the run. Counts merge; log lines beyond a bound are counted instead, and the parent says
// how many it did not show.

/** Sends a message; `sent` is called once it is written. False when the channel is backed up. */
export type SendLive = (message: LiveMessage, sent: () => void) => boolean;

const MIN_INTERVAL_MS = 50;
/** A flow that runs only microtasks never lets a timer fire: every this many events, the time is looked at. */
const CHECK_EVERY = 256;
const MAX_PENDING_LOGS = 1000;
const MAX_PENDING_LOG_CHARS = 256 * 1024;
const MAX_PENDING = 1000;

export class LiveReport implements EngineSink {
  /** Flow runs and task runs still going, by id, with their names: an early exit marks them. */
  readonly openFlowRuns = new Map<string, string>();
  readonly openTaskRuns = new Map<string, string>();
  startedFlowRun = false;

  private readonly counts: TaskRunCounts = { created: 0, Completed: 0, Failed: 0, Crashed: 0, Cancelled: 0 };
  private topFlowRunId: string | undefined;
  /** When the top-level flow run first ran: a report may carry its end without the Running before it. */
  private topStartTime: string | undefined;
  private flowRuns: LiveFlowRun[] = [];
  private flowStates = new Map<string, LiveFlowState>();
  private logs: LiveLogLine[] = [];
  private logChars = 0;
  private artifacts: LiveArtifact[] = [];
  private logsNotShown = 0;
  private runningId: string | undefined;
  private dirty = false;
  private sinceCheck = 0;
  private lastSent = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Messages sent and written so far; the channel is backed up until message `backedUpAt` is written. */
  private sent = 0;
  private written = 0;
  private backedUpAt = 0;

  /** Team mode: resolves once what was emitted is committed (the inner sink's promise). */
  readonly committed?: () => Promise<void>;

  constructor(
    private readonly inner: EngineSink,
    private readonly send: SendLive,
  ) {
    if (inner.committed) this.committed = () => inner.committed!();
  }

  emit(event: EngineEvent, label?: string): void {
    this.inner.emit(event, label);
    switch (event.e) {
      case "task_run":
        this.openTaskRuns.set(event.id, event.name);
        this.counts.created++;
        break;
      case "state":
        if (event.kind === "task") this.taskState(event);
        else this.flowState(event);
        break;
      case "flow_run":
        this.openFlowRuns.set(event.id, event.name);
        this.startedFlowRun = true;
        if (this.topFlowRunId === undefined && !event.parentFlowRunId) this.topFlowRunId = event.id;
        if (this.flowRuns.length < MAX_PENDING || event.id === this.topFlowRunId) {
          const { id, name, flowName, parentFlowRunId, created, expectedStartTime, tags } = event;
          const top = id === this.topFlowRunId ? { parameters: event.parameters, file: event.file, pid: event.pid } : {};
          this.flowRuns.push({ id, name, flowName, parentFlowRunId, created, expectedStartTime, tags, ...top });
        }
        break;
      case "log":
        this.log(event, label ?? "Flowline");
        break;
      case "artifact":
        if (this.artifacts.length < MAX_PENDING) {
          this.artifacts.push({ id: event.id, key: event.key, type: event.type, flowRunId: event.flowRunId, taskRunId: event.taskRunId });
        }
        break;
    }
    this.changed();
  }

  /** The engine makes what it has emitted durable before user code runs (a flow run's start): it goes live too. */
  flushSync(): void {
    this.inner.flushSync();
    this.flush(false);
  }
  syncToDisk(): void {
    this.inner.syncToDisk();
  }
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inner.close();
  }

  /** Sends what is gathered now, even on a backed-up channel: the last message before the run's end. */
  finish(): void {
    this.flush(true);
  }

  private taskState(event: StateEvent): void {
    if (isTerminal(event.type)) {
      this.openTaskRuns.delete(event.id);
      this.counts[event.type]++;
    } else if (event.type === "Running") this.runningId = event.id;
  }

  private flowState(event: StateEvent): void {
    if (isTerminal(event.type)) this.openFlowRuns.delete(event.id);
    const top = event.id === this.topFlowRunId;
    if (top && event.type === "Running" && this.topStartTime === undefined) this.topStartTime = event.ts;
    if (this.flowStates.size >= MAX_PENDING && !top && !this.flowStates.has(event.id)) return;
    const startTime = top ? this.topStartTime : undefined;
    this.flowStates.set(event.id, { id: event.id, type: event.type, name: event.name, message: event.message, ts: event.ts, runCount: event.runCount, startTime });
  }

  private log(event: LogEvent, label: string): void {
    if (this.logs.length >= MAX_PENDING_LOGS || this.logChars >= MAX_PENDING_LOG_CHARS) {
      // Full: send now if the channel takes it, else the line is only counted.
      this.flush(false);
      if (this.logs.length > 0) {
        this.logsNotShown++;
        return;
      }
    }
    this.logs.push({ level: event.level, message: event.message, ts: event.ts, label, flowRunId: event.flowRunId, taskRunId: event.taskRunId });
    this.logChars += event.message.length;
  }

  private changed(): void {
    this.dirty = true;
    if (++this.sinceCheck >= CHECK_EVERY) {
      this.sinceCheck = 0;
      if (Date.now() - this.lastSent >= MIN_INTERVAL_MS) return this.flush(false);
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(this.flushSoon, Math.max(0, MIN_INTERVAL_MS - (Date.now() - this.lastSent)));
      this.timer.unref();
    }
  }

  private readonly flushSoon = (): void => {
    this.timer = undefined;
    this.flush(false);
  };

  private flush(evenIfBackedUp: boolean): void {
    if (!this.dirty || (this.backedUpAt > this.written && !evenIfBackedUp)) return;
    const message: LiveMessage = { type: "live", taskRuns: { ...this.counts }, logsNotShown: this.logsNotShown };
    if (this.flowRuns.length > 0) message.flowRuns = this.flowRuns;
    if (this.flowStates.size > 0) message.flowStates = [...this.flowStates.values()];
    if (this.logs.length > 0) message.logs = this.logs;
    if (this.artifacts.length > 0) message.artifacts = this.artifacts;
    const running = this.runningId === undefined ? undefined : this.openTaskRuns.get(this.runningId);
    if (running !== undefined) message.running = runLabel("task", running);
    this.flowRuns = [];
    this.flowStates = new Map();
    this.logs = [];
    this.logChars = 0;
    this.artifacts = [];
    this.dirty = false;
    this.lastSent = Date.now();
    const number = ++this.sent;
    const ok = this.send(message, () => this.wrote(number));
    if (!ok) this.backedUpAt = number;
  }

  /** Message `number` is written (they are written in order): if the channel was backed up until it, what gathered since goes out. */
  private wrote(number: number): void {
    this.written = number;
    if (number === this.backedUpAt && this.dirty && this.timer === undefined) this.flushSoon();
  }
}
