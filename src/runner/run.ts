import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, StateType } from "../engine/events";
import type { CacheLookupMessage, CacheReplyMessage, ChildMessage, DoneMessage, FlowSummary, ParentMessage } from "./protocol";
import { isChildMessage } from "./protocol";

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
  /**
   * Answers the flow's cache lookups from the caller's store (storage key of an unexpired result, if
   * any). Without it the flow process opens the store itself.
   */
  cacheLookup?: (cacheKey: string, now: Date) => Promise<string | undefined>;
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
  event: [EngineEvent];
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

/** What a flow process is started with, before it is told which flow to run. */
export type ProcessSetup = Pick<RunRequest, "home" | "nodePath" | "env"> & { cwd: string };

/**
 * Starts a flow process that waits for its `start` message. With `warm`, it loads the engine and
 * starts esbuild while it waits, so that a run sent to it later starts sooner (WarmFlowProcess).
 */
export function spawnFlowChild(setup: Pick<RunRequest, "home" | "nodePath" | "env" | "cwd" | "file">, warm = false): ChildProcess {
  const dist = distDir();
  return spawn(setup.nodePath ?? process.execPath, ["--enable-source-maps", path.join(dist, "child.js")], {
    cwd: setup.cwd ?? path.dirname(setup.file),
    env: { ...process.env, ...setup.env, FLOWLINE_HOME: setup.home, ...(warm ? { FLOWLINE_WARM_CHILD: "1" } : {}) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // Its own process group, so a cancel can end the flow and everything it started.
    detached: true,
    // Structured clone: the journal text crosses as it is, without JSON escaping every quote.
    serialization: "advanced",
  });
}

/**
 * One flow process started ahead of time for a given setup (node, environment, folder, home), so that
 * the next run with that setup skips starting node and loading the engine. Used by the extension, where
 * a user looking at a flow is likely to run it; the CLI starts its process on demand.
 */
export class WarmFlowProcess {
  private child: ChildProcess | undefined;
  private key: string | undefined;

  /** Makes sure a process for `setup` is waiting (replacing one started for another setup). */
  prepare(setup: ProcessSetup): void {
    const key = setupKey(setup);
    if (this.key === key && this.alive()) return;
    this.dispose();
    const child = spawnFlowChild({ ...setup, file: setup.cwd }, true);
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

  /** Starts the run in a new process, or in `child`: a process spawnFlowChild started for the same setup. */
  constructor(
    private readonly request: RunRequest,
    child?: ChildProcess,
  ) {
    super();
    this.child = child ?? spawnFlowChild(request);
    this.done = this.follow();
    const start: ParentMessage = { type: "start", file: path.resolve(request.file), flow: request.flow, parameters: request.parameters ?? {}, home: request.home, parentCache: request.cacheLookup !== undefined };
    this.child.send(start);
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

  private answerCacheLookup(message: CacheLookupMessage): void {
    const lookup = this.request.cacheLookup;
    const reply = (answer: Omit<CacheReplyMessage, "type" | "id">) => {
      if (this.child.connected) this.child.send({ type: "cache_reply", id: message.id, ...answer } satisfies ParentMessage);
    };
    if (!lookup) return reply({ error: "This runner does not answer cache lookups." });
    lookup(message.cacheKey, new Date(message.now)).then(
      (storageKey) => reply(storageKey !== undefined ? { storageKey } : {}),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  }

  /** Ends the flow process and all it started, at once. */
  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }

  private follow(): Promise<RunResult> {
    return new Promise((resolve) => {
      let done: DoneMessage | undefined;
      let fatal: { kind: string; message: string } | undefined;
      let flow: FlowSummary | undefined;
      this.child.stdout?.setEncoding("utf8").on("data", (text: string) => this.emit("output", text, "stdout"));
      this.child.stderr?.setEncoding("utf8").on("data", (text: string) => this.emit("output", text, "stderr"));
      this.child.on("message", (raw: unknown) => {
        if (!isChildMessage(raw)) return;
        const message: ChildMessage = raw;
        switch (message.type) {
          case "cache_lookup":
            this.answerCacheLookup(message);
            break;
          case "events":
            for (const event of parseEventLines(message.lines)) {
              if (event.e === "flow_run" && this.flowRunId === undefined && !event.parentFlowRunId) this.flowRunId = event.id;
              this.emit("event", event);
            }
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
      // run from ending, so after the exit the output gets only a short while to drain.
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
        // Messages already sent arrive before the channel closes; output gets a moment more.
        const drain = () => {
          if (settled) return;
          timers.push(
            setTimeout(() => {
              this.child.stdout?.destroy();
              this.child.stderr?.destroy();
              settle(code, signal);
            }, 200),
          );
        };
        if (this.child.connected) {
          timers.push(setTimeout(drain, 2000));
          this.child.once("disconnect", drain);
        } else drain();
      });
    });
  }
}

function parseEventLines(lines: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (const line of lines.split("\n")) {
    if (line === "") continue;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch {
      // The journal keeps every event; a line that does not parse only misses the live view.
    }
  }
  return events;
}

/** Starts a run: in `warm`'s waiting process when it was started for this run's setup, else in a new one. */
export function startFlowProcess(request: RunRequest, warm?: WarmFlowProcess): FlowProcess {
  const child = warm && request.cwd !== undefined ? warm.take({ home: request.home, nodePath: request.nodePath, env: request.env, cwd: request.cwd }) : undefined;
  return new FlowProcess(request, child);
}
