import { describeFlows, type FlowDescription } from "../runner/describe";
import type { DoneMessage } from "../runner/protocol";
import { WarmFlowProcess, type RunResult } from "../runner/run";
import { SpawnThread } from "../runner/spawn-thread";
import { RunSession, type RunProgress, type SessionEnd } from "../runner/session";
import type { LogEvent, StateType } from "../shared/events";
import { logsNotShownText, logText } from "../shared/log-line";
import { Emitter, type Disposable } from "./emitter";
import { syntaxErrorLocation, userErrorLocation, type ErrorLocation } from "../shared/error-location";
import { LiveFlowRun } from "./live-run";
import { runMs } from "./runs-model";
import type { FlowRun } from "../store/types";
import type { NodeRuntime } from "./settings";
import type { StoreService } from "./store-service";

// Runs flows for the extension in the same RunSession as the CLI (src/runner/session.ts): one child
// process of the user's node per run, its log lines streamed live to the Output channel, cache lookups
// answered from the store, and the store told how a run ended when its process could not say. No vscode
// here: the UI (run-ui.ts, codelens.ts) follows the events below.

export interface RunTarget {
  /** Absolute path of the flow file. */
  file: string;
  /** Export name or flow name, as the runner selects it. */
  target: string;
  /** What the user sees: the flow's name. */
  label: string;
  /** The export that holds it, where that differs from the name. */
  detail?: string;
}

export interface RunSpec extends RunTarget {
  parameters: Record<string, unknown>;
}

/** The part of a LogOutputChannel the runs write to. */
export interface RunLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RunEnvironment {
  home: string;
  node: NodeRuntime;
  env: Record<string, string>;
  cancelGraceSeconds: number;
  /** The folder a run starts in (the file's workspace folder, as the CLI starts in the terminal's). */
  cwd: string;
}

export interface RunOutcome {
  spec: RunSpec;
  flowRunId?: string;
  flowRunName?: string;
  state: { type: StateType; name: string; message?: string };
  /** 0 Completed, 1 Failed or Crashed, 2 could not start, 130 Cancelled (as the CLI exits). */
  exitCode: RunResult["exitCode"];
  error?: DoneMessage["error"];
  /** The user's line the error came from, when the stack names one. */
  errorLocation?: ErrorLocation;
  /** Why the run could not start or how its process ended early. */
  message?: string;
  /** The flow run's duration (its first Running state to its end), when it started. */
  durationMs?: number;
  /** The flow run as its process reported it, with the state it ended in. */
  flowRun?: FlowRun;
}

export class RefusedError extends Error {}

export interface RunManagerOptions {
  environment(spec: Pick<RunSpec, "file">): RunEnvironment;
  /** Keep a flow process started ahead for the next run (the flowline.warmStart setting); default off. */
  warmStart?(): boolean;
  /** The window's store: runs record their end in it and answer cache lookups from it. */
  store: Pick<StoreService, "get" | "sync">;
  log: RunLog;
  /** Folders of Flowline's own code, skipped when looking for the user's line in a stack. */
  flowlineDirs: string[];
  isTrusted(): boolean;
}

let nextRunId = 1;

export class ActiveRun {
  readonly id = nextRunId++;
  readonly startedAt = Date.now();
  state: { type: StateType; name: string } = { type: "Pending", name: "Pending" };
  /** The flow run as its process reports it: what every view shows while it runs. */
  readonly live = new LiveFlowRun();
  /** The task run that most recently started running. */
  currentTask: string | undefined;
  readonly done: Promise<RunOutcome>;

  constructor(
    readonly spec: RunSpec,
    readonly session: RunSession,
    done: (run: ActiveRun) => Promise<RunOutcome>,
  ) {
    this.done = done(this);
  }

  get key(): string {
    return runKey(this.spec);
  }

  /** Task runs seen, and how many have ended. */
  get tasksStarted(): number {
    return this.live.tasksStarted;
  }

  get tasksEnded(): number {
    return this.live.tasksEnded;
  }

  get cancelRequested(): boolean {
    return this.session.cancelRequested;
  }

  get flowRunId(): string | undefined {
    return this.session.flowRunId;
  }

  get flowRunName(): string | undefined {
    return this.session.flowRunName;
  }

  cancel(): void {
    this.session.cancel("Cancelled from VS Code.");
  }

  /** Ends the run's process tree now (a second cancel). */
  kill(): void {
    this.session.kill();
  }
}

export function runKey(target: Pick<RunTarget, "file" | "target">): string {
  return `${target.file}#${target.target}`;
}

export class RunManager implements Disposable {
  private readonly runs = new Map<number, ActiveRun>();
  private readonly outcomes = new Map<string, RunOutcome>();
  private readonly started = new Emitter<ActiveRun>();
  private readonly changed = new Emitter<ActiveRun>();
  private readonly ended = new Emitter<{ run: ActiveRun; outcome: RunOutcome }>();
  readonly onDidStart = this.started.event;
  /** A run's state or progress changed. */
  readonly onDidChange = this.changed.event;
  readonly onDidEnd = this.ended.event;
  /** The last run started in this window (for Rerun Last Flow Run). */
  lastSpec: RunSpec | undefined;

  /** Flow processes are started from a worker thread: the fork waits for the new process (spawn-thread.ts). */
  private readonly spawnThread = new SpawnThread();
  private readonly warm = new WarmFlowProcess((command, args, options) => this.spawnThread.spawn(command, args, options));
  private rewarm: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly options: RunManagerOptions) {}

  /**
   * Starts a flow process ahead for runs of `file` (a flow file the user is looking at), so a click on
   * ▶ Run flow skips starting node and loading the engine. At most one waits; nothing when a run is going
   * (it would take a core from that run), in Restricted Mode, or with flowline.warmStart off.
   */
  warmUp(file: string): void {
    if (this.disposed || !this.options.warmStart?.() || !this.options.isTrusted() || this.runs.size > 0) return;
    try {
      const environment = this.options.environment({ file });
      this.warm.prepare({ home: environment.home, nodePath: environment.node.command, env: { ...environment.env, ...environment.node.env }, cwd: environment.cwd });
    } catch {
      // A setting that cannot start a run (a bad node path) is reported when a run is asked for.
    }
  }

  /** The process id of the flow process waiting for the next run, if any (for tests). */
  get warmPid(): number | undefined {
    return this.warm.pid;
  }

  active(): ActiveRun[] {
    return [...this.runs.values()];
  }

  /** The newest active run of a flow. */
  activeFor(target: Pick<RunTarget, "file" | "target">): ActiveRun | undefined {
    const key = runKey(target);
    return this.active().reverse().find((r) => r.key === key);
  }

  byFlowRunId(flowRunId: string): ActiveRun | undefined {
    return this.active().find((r) => r.flowRunId === flowRunId);
  }

  lastOutcome(target: Pick<RunTarget, "file" | "target">): RunOutcome | undefined {
    return this.outcomes.get(runKey(target));
  }

  /** Where a run of `file` happens. Throws RefusedError when no flow may run (untrusted workspace, bad node setting). */
  private environmentFor(file: string): RunEnvironment {
    if (!this.options.isTrusted()) {
      throw new RefusedError("Flowline does not run flows in Restricted Mode: a flow is code from this workspace. Trust the workspace to run it.");
    }
    try {
      return this.options.environment({ file });
    } catch (err) {
      throw new RefusedError(err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * A flow's parameters (and the file's other flows), from a flow process that loads the file as a run
   * would but runs nothing; the waiting process is used when there is one, and another is started for the
   * run that likely follows. Throws RefusedError as start does, and a UserError when the file would not run.
   */
  async describe(target: RunTarget): Promise<FlowDescription> {
    const environment = this.environmentFor(target.file);
    try {
      const { home, node, env, cwd } = environment;
      return await describeFlows({ file: target.file, flow: target.target, home, nodePath: node.command, env: { ...env, ...node.env }, cwd }, this.warm);
    } finally {
      this.warmUp(target.file);
    }
  }

  /** Starts a run. Throws RefusedError when it may not run (untrusted workspace, bad node setting). */
  start(spec: RunSpec, options: { env?: Record<string, string> } = {}): ActiveRun {
    const environment = this.environmentFor(spec.file);
    const { store, log } = this.options;
    const session = new RunSession({
      file: spec.file,
      flow: spec.target,
      parameters: spec.parameters,
      home: environment.home,
      nodePath: environment.node.command,
      // A debug run's extra environment (debug-flow.ts) also keeps it off the process started ahead (its
      // setup differs), and it is started as the window's other flow processes are.
      env: { ...environment.env, ...environment.node.env, ...options.env },
      cwd: environment.cwd,
      cancelGraceSeconds: environment.cancelGraceSeconds,
      // The window's store, which its trees share: opened while the flow runs (sql.js loads once), so
      // the end of the run is recorded quickly.
      store,
      preloadStore: true,
      warm: this.warm,
    });
    this.lastSpec = spec;
    log.info(`Starting flow '${spec.label}' from ${spec.file}${Object.keys(spec.parameters).length ? ` with parameters ${JSON.stringify(spec.parameters)}` : ""}`);
    const run = new ActiveRun(spec, session, (r) => this.follow(r));
    this.runs.set(run.id, run);
    this.started.fire(run);
    return run;
  }

  private async follow(run: ActiveRun): Promise<RunOutcome> {
    const { log } = this.options;
    const { session } = run;
    session.on("flowRun", () => this.changed.fire(run));
    session.on("live", (message) => run.live.see(message));
    session.on("progress", (progress) => this.progress(run, progress));
    session.on("log", (line, label) => logTo(log, line, label));
    const partial = { stdout: "", stderr: "" };
    session.on("output", (text, stream) => {
      const lines = (partial[stream] + text).split(/\r?\n/);
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) (stream === "stderr" ? log.warn : log.info).call(log, line);
    });

    const end = await session.ended;
    for (const stream of ["stdout", "stderr"] as const) if (partial[stream]) log.info(partial[stream]);
    const outcome = await this.finish(run, end);
    this.runs.delete(run.id);
    this.outcomes.set(run.key, outcome);
    this.ended.fire({ run, outcome });
    // Ready for the next run of this file once this one has had its end recorded.
    if (this.rewarm) clearTimeout(this.rewarm);
    this.rewarm = setTimeout(() => this.warmUp(run.spec.file), 1000);
    this.rewarm.unref();
    return outcome;
  }

  /** What the status bar, the notification and the lenses show while the run goes. */
  private progress(run: ActiveRun, progress: RunProgress): void {
    run.currentTask = progress.running;
    if (progress.state) run.state = { type: progress.state.type, name: progress.state.name };
    this.changed.fire(run);
  }

  /** Tells the views the run's end is stored, and turns the session's end into an outcome. */
  private async finish(run: ActiveRun, end: SessionEnd): Promise<RunOutcome> {
    const { log, store } = this.options;
    const { result, flowRunId } = end;
    const state = result.state ?? { type: "Failed" as const, name: "Failed", message: result.message };
    if (result.exitCode === 2) log.error(`Flow '${run.spec.label}' could not start: ${result.message ?? "unknown reason"}`);
    else if (!result.reported && result.message) log.error(result.message);
    if (end.recordError !== undefined) log.warn(`Could not record the end of the run: ${end.recordError}`);
    if (end.logsNotShown > 0) log.warn(`${logsNotShownText(end.logsNotShown)}.`);
    if (flowRunId) await store.sync();
    run.state = { type: state.type, name: state.name };
    return {
      spec: run.spec,
      flowRunId,
      flowRunName: end.flowRunName,
      state,
      exitCode: result.exitCode,
      error: result.error,
      errorLocation: userErrorLocation(result.error?.stack, run.spec.file, this.options.flowlineDirs) ?? (result.exitCode === 2 ? syntaxErrorLocation(result.message, run.spec.file) : undefined),
      message: result.message,
      durationMs: runMs(run.live.snapshot),
      flowRun: run.live.snapshot && { ...run.live.snapshot, state },
    };
  }

  /** Cancels every run (the window is closing): the children also cancel themselves when we go away. */
  dispose(): void {
    this.disposed = true;
    if (this.rewarm) clearTimeout(this.rewarm);
    this.warm.dispose();
    for (const run of this.runs.values()) run.cancel();
    this.spawnThread.dispose();
    this.started.dispose();
    this.changed.dispose();
    this.ended.dispose();
  }
}

/** A run's log line in the Output channel, which shows time and level itself. */
function logTo(log: RunLog, event: Pick<LogEvent, "level" | "message">, label: string): void {
  const line = logText(label, event.message);
  if (event.level === "ERROR") log.error(line);
  else if (event.level === "WARNING") log.warn(line);
  else if (event.level === "DEBUG") log.debug(line);
  else log.info(line);
}
