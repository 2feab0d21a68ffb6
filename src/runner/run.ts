import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import type { StateType } from "../shared/events";
import type { ChildMessage, DoneMessage, FlowSummary, LiveMessage, ParentMessage } from "./protocol";
import { parameterProblem } from "./parameters-check";
import { isChildMessage } from "./protocol";
import { isRemoteChild, type RemoteChild } from "./spawn-thread";

// Starts a flow file in a child process of the user's node and follows it: live events, output, how
// it ended. Used by the CLI and the extension alike.

export interface RunRequest {
  file: string;
  flow?: string;
  parameters?: Record<string, unknown>;
  home: string;
  /** The node binary to run the flow with (default: this process's). */
  nodePath?: string;
  /** Extra environment variables for the flow process. */
  env?: Record<string, string>;
  cwd?: string;
  /** Seconds a cancelled run gets to end by itself before its process tree is killed. */
  cancelGraceSeconds?: number;
}

export interface RunResult {
  /** 0 Completed, 1 Failed or Crashed, 2 the run could not start (bad input), 130 Cancelled. */
  exitCode: 0 | 1 | 2 | 130;
  flowRunId?: string;
  flowRunName?: string;
  state?: { type: StateType; name: string; message?: string };
  result?: unknown;
  error?: DoneMessage["error"];
  /** Why the run could not start, or how its process ended early. */
  message?: string;
  /**
   * True when the flow process reported how its run ended. False when it died, was killed or exited
   * before that: the store may still show its runs as Running until they are marked (Store.markRuns).
   */
  reported: boolean;
  flow?: FlowSummary;
}

export interface RunEvents {
  /** What the flow process reports of the run as it goes (see LiveMessage). */
  live: [LiveMessage];
  output: [string, "stdout" | "stderr"];
  loaded: [FlowSummary];
}

/** Where the built engine and child entry live: dist/ next to this bundle, or the repo's dist/ from source. */
export function distDir(): string {
  if (process.env.FLOWLINE_DIST) return process.env.FLOWLINE_DIST;
  const here = __dirname;
  const candidates = [here, path.resolve(here, "..", "..", "dist")];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, "child.js"))) return dir;
  throw new Error(`Flowline's built files were not found (looked in ${candidates.join(", ")}); run \`npm run build\`.`);
}

/**
 * What starts a flow process: child_process.spawn, or a SpawnThread's spawn (the extension host, whose one
 * thread VS Code and every extension share: spawn-thread.ts).
 */
export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** What a flow process is started with, before it is told which flow to run. */
export type ProcessSetup = Pick<RunRequest, "home" | "nodePath" | "env"> & { cwd: string };

/**
 * Starts a flow process that waits for its `start` message. With `warm`, it loads the engine and
 * starts esbuild while it waits, so that a run sent to it later starts sooner (WarmFlowProcess).
 */
export function spawnFlowChild(setup: Pick<RunRequest, "home" | "nodePath" | "env" | "cwd" | "file">, warm = false, start: SpawnFn = spawn): ChildProcess {
  const dist = distDir();
  return start(setup.nodePath ?? process.execPath, ["--enable-source-maps", path.join(dist, "child.js")], {
    cwd: setup.cwd ?? path.dirname(setup.file),
    env: { ...process.env, ...setup.env, FLOWLINE_HOME: setup.home, ...(warm ? { FLOWLINE_WARM_CHILD: "1" } : {}) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // Its own process group, so a cancel can end the flow and everything it started.
    detached: true,
    // Structured clone: log lines cross without JSON escaping every quote.
    serialization: "advanced",
  });
}

/** Ends a flow process and everything it started (its own process group), at once. */
export function killFlowProcess(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (isRemoteChild(child)) return (child as unknown as RemoteChild).killGroup("SIGKILL");
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

/**
 * One flow process started ahead of time for a given setup (node, environment, folder, home), so that
 * the next run with that setup skips starting node and loading the engine. Used by the extension, where
 * a user looking at a flow is likely to run it; the CLI starts its process on demand.
 */
export class WarmFlowProcess {
  private child: ChildProcess | undefined;
  private key: string | undefined;

  /** `start`: how this window's flow processes are started, this one and those started cold (spawn). */
  constructor(readonly start: SpawnFn = spawn) {}

  /** A new flow process for `setup`, started the way this one is (for a run that cannot take it). */
  spawn(setup: Pick<RunRequest, "home" | "nodePath" | "env" | "cwd" | "file">): ChildProcess {
    return spawnFlowChild(setup, false, this.start);
  }

  /** Makes sure a process for `setup` is waiting (replacing one started for another setup). */
  prepare(setup: ProcessSetup): void {
    const key = setupKey(setup);
    if (this.key === key && this.alive()) return;
    this.dispose();
    const child = spawnFlowChild({ ...setup, file: setup.cwd }, true, this.start);
    // An idle process that fails or exits is simply not used (its output is read once a run takes it).
    child.on("error", () => undefined);
    this.child = child;
    this.key = key;
  }

  /** The waiting process if it was started for this setup and is still there; it is then no longer held. */
  take(setup: ProcessSetup): ChildProcess | undefined {
    if (this.key !== setupKey(setup) || !this.alive()) return undefined;
    const child = this.child;
    this.child = undefined;
    this.key = undefined;
    return child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  dispose(): void {
    const child = this.child;
    this.child = undefined;
    this.key = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  private alive(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null && child.connected;
  }
}

function setupKey(setup: ProcessSetup): string {
  const env = Object.entries(setup.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([setup.nodePath ?? process.execPath, setup.cwd, setup.home, env]);
}

export class FlowProcess extends EventEmitter<RunEvents> {
  readonly done: Promise<RunResult>;
  private child: ChildProcess;
  private flowRunId: string | undefined;
  private cancelRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  /** Why the run was not sent to its process (bad parameters): it then ends with exit code 2. */
  private refused: string | undefined;
  /** Chunks of output read so far, to tell when the pipes have gone quiet after the process exited. */
  private outputChunks = 0;

  /** Starts the run in a new process, or in `child`: a process spawnFlowChild started for the same setup. */
  constructor(
    private readonly request: RunRequest,
    child?: ChildProcess,
  ) {
    super();
    this.child = child ?? spawnFlowChild(request);
    this.done = this.follow();
    const parameters = request.parameters ?? {};
    const start: ParentMessage = { type: "start", file: path.resolve(request.file), flow: request.flow, parameters, home: request.home };
    this.refused = parameterProblem(parameters);
    if (this.refused === undefined) {
      try {
        this.child.send(start);
      } catch (err) {
        this.refused = `the parameters could not be sent to the flow process (${err instanceof Error ? err.message : String(err)}); pass plain JSON data.`;
      }
    }
    if (this.refused !== undefined) this.kill();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the flow to stop; kills its process tree if it has not ended after the grace period. */
  cancel(reason = "The flow run was cancelled."): void {
    if (this.cancelRequested || this.child.exitCode !== null) return;
    this.cancelRequested = true;
    if (this.child.connected) this.child.send({ type: "cancel", reason } satisfies ParentMessage);
    const grace = (this.request.cancelGraceSeconds ?? 5) * 1000;
    this.killTimer = setTimeout(() => this.kill(), grace);
  }

  /** Ends the flow process and all it started, at once. */
  kill(): void {
    killFlowProcess(this.child);
  }

  private follow(): Promise<RunResult> {
    return new Promise((resolve) => {
      let done: DoneMessage | undefined;
      let fatal: { kind: string; message: string } | undefined;
      let flow: FlowSummary | undefined;
      const output = (stream: "stdout" | "stderr") => (text: string) => {
        this.outputChunks++;
        this.emit("output", text, stream);
      };
      this.child.stdout?.setEncoding("utf8").on("data", output("stdout"));
      this.child.stderr?.setEncoding("utf8").on("data", output("stderr"));
      this.child.on("message", (raw: unknown) => {
        if (!isChildMessage(raw)) return;
        const message: ChildMessage = raw;
        switch (message.type) {
          case "live":
            if (this.flowRunId === undefined) this.flowRunId = message.flowRuns?.find((f) => f.parentFlowRunId === undefined)?.id;
            this.emit("live", message);
            break;
          case "loaded":
            flow = message.selected;
            this.emit("loaded", message.selected);
            break;
          case "done":
            done = message;
            break;
          case "fatal":
            fatal = message;
            break;
        }
      });
      this.child.on("error", (err: NodeJS.ErrnoException) => {
        // Only a failed spawn matters here; a message that could not be sent to a process that already
        // ended (EPIPE) is told by how the process ended.
        if (fatal === undefined && (err.syscall ?? "").startsWith("spawn")) {
          fatal = { kind: "spawn", message: `Could not start ${this.request.nodePath ?? process.execPath}: ${err.message}. Check the node path setting.` };
        }
      });
      // Settles once: when the process has exited and its messages and output have been read. A process
      // it started that kept our stdout/stderr open (a grandchild with stdio "inherit") must not keep the
      // run from ending, so after the exit the output is read until it goes quiet (see readUntilQuiet).
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const settle = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        for (const timer of timers) clearTimeout(timer);
        if (done) {
          const exitCode = done.state.type === "Completed" ? 0 : done.state.type === "Cancelled" ? 130 : 1;
          return resolve({ exitCode, flowRunId: done.flowRunId, flowRunName: done.flowRunName, state: done.state, result: done.result, error: done.error, flow, reported: true });
        }
        if (this.refused !== undefined) return resolve({ exitCode: 2, message: this.refused, reported: true });
        if (fatal && fatal.kind !== "internal" && this.flowRunId === undefined) {
          return resolve({ exitCode: 2, message: fatal.message, flow, reported: true });
        }
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        const cancelled = this.cancelRequested;
        const message = fatal?.message ?? `The flow process ${how} before the run finished.`;
        resolve({
          exitCode: cancelled ? 130 : 1,
          flowRunId: this.flowRunId,
          state: cancelled
            ? { type: "Cancelled", name: "Cancelled", message: "The flow run was cancelled; its process was stopped." }
            : { type: "Crashed", name: "Crashed", message },
          message,
          flow,
          reported: false,
        });
      };
      this.child.on("close", (code, signal) => settle(code, signal));
      this.child.on("exit", (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        // Messages already sent arrive before the channel closes; output is read until it goes quiet.
        const drain = () => {
          if (!settled) this.readUntilQuiet(timers, () => settle(code, signal));
        };
        if (this.child.connected) {
          timers.push(setTimeout(drain, 2000));
          this.child.once("disconnect", drain);
        } else drain();
      });
    });
  }

  /**
   * Called once the flow process has exited: all it wrote is in the pipes by now, so reading stops when a
   * pause of QUIET_MS brings nothing new (or after DRAIN_LIMIT_MS of a grandchild that keeps writing), not
   * at a fixed time that a busy machine can reach before the last chunk is read.
   */
  private readUntilQuiet(timers: NodeJS.Timeout[], done: () => void): void {
    const started = Date.now();
    let seen = this.outputChunks;
    const check = () =>
      // An immediate runs after the event loop's next poll, so data already waiting in a pipe is read first.
      setImmediate(() => {
        if (this.outputChunks !== seen && Date.now() - started < DRAIN_LIMIT_MS) {
          seen = this.outputChunks;
          timers.push(setTimeout(check, QUIET_MS));
          return;
        }
        this.child.stdout?.destroy();
        this.child.stderr?.destroy();
        done();
      });
    timers.push(setTimeout(check, QUIET_MS));
  }
}

const QUIET_MS = 200;
const DRAIN_LIMIT_MS = 5_000;

/**
 * Starts a run: in `warm`'s waiting process when it was started for this run's setup, else in a new one
 * (started as `warm` starts its processes, when there is one).
 */
export function startFlowProcess(request: RunRequest, warm?: WarmFlowProcess): FlowProcess {
  const taken = warm && request.cwd !== undefined ? warm.take({ home: request.home, nodePath: request.nodePath, env: request.env, cwd: request.cwd }) : undefined;
  return new FlowProcess(request, taken ?? warm?.spawn(request));
}
