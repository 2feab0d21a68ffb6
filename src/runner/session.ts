import { EventEmitter } from "node:events";
import type { StateType } from "../shared/events";
import type { FlowRunDetail, StoreApi } from "../store";
import { openFlowlineStore } from "./open-store";
import type { LiveArtifact, LiveLogLine, LiveMessage, TaskRunCounts } from "./protocol";
import { startFlowProcess, type FlowProcess, type RunRequest, type RunResult, type WarmFlowProcess } from "./run";

// One flow run as the CLI and the editor follow it, so that both do it the same way: the child process
// (run.ts), its live view (log lines with the label of their run, progress), cancellation, and the end
// recorded in the store when the child could not record it (killed, crashed, cancelled before it could say). What a front end shows
// (a terminal, an Output channel) stays with it.

/** The store a session uses: opened only when first asked for, released when the session ends. */
export interface SessionStore {
  get(): Promise<StoreApi>;
  /** The session no longer needs it (a store opened for the session alone is closed here). */
  release?(): void;
}

export interface SessionOptions extends RunRequest {
  /** Default: the home's store, opened when first needed and closed when the session ends. */
  store?: SessionStore;
  /** Open the store as soon as the flow file has loaded, so the run's end is recorded without waiting for sql.js. */
  preloadStore?: boolean;
  /** Read the run back from the store when it ends (the CLI's --json); a run its process could not end is read back anyway. */
  readBack?: boolean;
  /** A flow process started ahead that the run may take (the editor's warm start). */
  warm?: WarmFlowProcess;
}

export interface SessionEvents {
  /** A log line, with the label of the run it is from ("Task run 'greet-0'"). */
  log: [LiveLogLine, string];
  /** The flow process's report, as it came (after `log`, `artifact` and `flowRun` of it, before `progress`). */
  live: [LiveMessage];
  /** The run moved on: its state, task-run counts or running task run (see RunProgress). */
  progress: [RunProgress];
  /** An artifact was created. */
  artifact: [LiveArtifact];
  /** What the flow printed. */
  output: [string, "stdout" | "stderr"];
  /** The top-level flow run has started: flowRunId and flowRunName are known. */
  flowRun: [];
}

/** Where a run stands, as the flow process last reported it. */
export interface RunProgress {
  /** The top-level flow run's state. */
  state: { type: StateType; name: string; message?: string } | undefined;
  /** Task runs of the whole run (subflows' too) so far. */
  taskRuns: TaskRunCounts;
  /** The label of the task run that most recently started running, while it runs. */
  running: string | undefined;
}

export interface SessionEnd {
  result: RunResult;
  flowRunId?: string;
  flowRunName?: string;
  /**
   * The run as stored, when the store was read at the end (readBack, or a run marked here) and could be:
   * the flow run with its counts, subflow runs and first 1,000 task runs (the rest page: listTaskRuns).
   */
  detail?: FlowRunDetail;
  /** Why the end could not be recorded or read back now; the run's journal keeps it for the next reader. */
  recordError?: string;
  /** Log lines not shown live (the parent fell behind): they are in the run's stored logs. */
  logsNotShown: number;
}

/** A store opened for one session: on the first `get()`, and closed on `release()`. */
export function storeOnDemand(open: () => Promise<StoreApi>): SessionStore {
  let opening: Promise<StoreApi> | undefined;
  return {
    get() {
      if (!opening) {
        opening = open();
        opening.catch(() => undefined);
      }
      return opening;
    },
    release() {
      void opening?.then((store) => store.close(), () => undefined);
    },
  };
}

export class RunSession extends EventEmitter<SessionEvents> {
  /** The top-level flow run, once its first event arrived. */
  flowRunId: string | undefined;
  flowRunName: string | undefined;
  readonly progress: RunProgress = { state: undefined, taskRuns: { created: 0, Completed: 0, Failed: 0, Crashed: 0, Cancelled: 0 }, running: undefined };
  /** Log lines the flow process did not send live, so far. */
  logsNotShown = 0;
  /** Settles once the run has ended and its end is recorded; never rejects. */
  readonly ended: Promise<SessionEnd>;
  private readonly process: FlowProcess;
  private cancelled = false;

  constructor(options: SessionOptions) {
    super();
    const { store: given, preloadStore, readBack, warm, ...request } = options;
    const store = given ?? storeOnDemand(() => openFlowlineStore(request.home));
    this.process = startFlowProcess(request, warm);
    if (preloadStore) this.process.once("loaded", () => void store.get().catch(() => undefined));
    this.process.on("live", (message) => this.follow(message));
    this.process.on("output", (text, stream) => this.emit("output", text, stream));
    this.ended = this.end(store, readBack === true);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get cancelRequested(): boolean {
    return this.cancelled;
  }

  /** Asks the flow to stop (it ends Cancelled); its processes are killed if it has not after the grace period. */
  cancel(reason: string): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.process.cancel(reason);
  }

  /** Ends the run's processes at once. */
  kill(): void {
    this.process.kill();
  }

  private follow(message: LiveMessage): void {
    for (const run of message.flowRuns ?? []) {
      if (run.parentFlowRunId === undefined && this.flowRunId === undefined) {
        this.flowRunId = run.id;
        this.flowRunName = run.name;
        this.emit("flowRun");
      }
    }
    for (const line of message.logs ?? []) this.emit("log", line, line.label);
    for (const artifact of message.artifacts ?? []) this.emit("artifact", artifact);
    this.logsNotShown = message.logsNotShown;
    const progress = this.progress;
    const state = message.flowStates?.find((s) => s.id === this.flowRunId);
    if (state) progress.state = { type: state.type, name: state.name, message: state.message };
    progress.taskRuns = message.taskRuns;
    progress.running = message.running;
    this.emit("live", message);
    this.emit("progress", progress);
  }

  private async end(store: SessionStore, readBack: boolean): Promise<SessionEnd> {
    const result = await this.process.done;
    const flowRunId = result.flowRunId ?? this.flowRunId;
    const end: SessionEnd = { result, flowRunId, flowRunName: result.flowRunName ?? this.flowRunName, logsNotShown: this.logsNotShown };
    if (flowRunId !== undefined && (!result.reported || readBack)) {
      try {
        const opened = await store.get();
        // The process died or was killed before it could record how the run ended: mark what is still
        // open (markRuns folds the journals first and leaves alone runs that did end).
        if (!result.reported) {
          await opened.markRuns(flowRunId, result.exitCode === 130 ? "Cancelled" : "Crashed", result.message ?? "The flow process ended before the run finished.");
        } else await opened.sync({ wait: true });
        end.detail = await opened.getFlowRun(flowRunId, { taskLimit: 1000 });
      } catch (err) {
        end.recordError = err instanceof Error ? err.message : String(err);
      }
    }
    store.release?.();
    return end;
  }
}
