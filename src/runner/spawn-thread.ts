import type { ChildProcess, SpawnOptions } from "node:child_process";
import { EventEmitter } from "node:events";
import { StringDecoder } from "node:string_decoder";
import { Worker } from "node:worker_threads";

// Flow processes started from a worker thread. Starting a process forks the one that starts it, and the
// fork copies its page tables and waits for the new process to load node: for the extension host (a
// quarter of a gigabyte) 15–20 ms on an idle machine here, and up to 85 ms when the flow, the browser and
// VS Code's server share 2 busy cores, all of it on the host's only thread, which every extension and
// VS Code itself share. In a worker the wait is the worker's. The process is driven through a stand-in
// with the part of ChildProcess the runner uses (RemoteChild): messages, output, exit, kill.

const WORKER = `
const { parentPort } = require("node:worker_threads");
const { spawn } = require("node:child_process");
const children = new Map();
const post = (m, transfer) => parentPort.postMessage(m, transfer);
// A chunk read from a pipe can be a view of a bigger buffer: its own bytes only are copied, and handed over.
const output = (id, ev) => (data) => {
  const bytes = new Uint8Array(data);
  post({ id, ev, data: bytes }, [bytes.buffer]);
};
const errorOf = (err) => ({ message: String(err && err.message || err), code: err && err.code, errno: err && err.errno, syscall: err && err.syscall, path: err && err.path, name: err && err.name });
function start(id, command, args, options) {
  let child;
  try {
    child = spawn(command, args, options);
  } catch (err) {
    post({ id, ev: "error", err: errorOf(err) });
    post({ id, ev: "close", code: null, signal: null });
    return;
  }
  children.set(id, child);
  post({ id, ev: "spawned", pid: child.pid });
  child.stdout && child.stdout.on("data", output(id, "stdout"));
  child.stderr && child.stderr.on("data", output(id, "stderr"));
  child.on("message", (msg) => post({ id, ev: "message", msg }));
  child.on("error", (err) => post({ id, ev: "error", err: errorOf(err) }));
  child.on("disconnect", () => post({ id, ev: "disconnect" }));
  child.on("exit", (code, signal) => post({ id, ev: "exit", code, signal }));
  child.on("close", (code, signal) => {
    children.delete(id);
    post({ id, ev: "close", code, signal });
  });
}
parentPort.on("message", (m) => {
  if (m.op === "spawn") return start(m.id, m.command, m.args, m.options);
  const child = children.get(m.id);
  if (!child) return;
  if (m.op === "send") {
    try {
      child.send(m.msg, (err) => err && post({ id: m.id, ev: "error", err: errorOf(err) }));
    } catch (err) {
      post({ id: m.id, ev: "error", err: errorOf(err) });
    }
  } else if (m.op === "kill") {
    if (m.group && child.pid !== undefined) {
      try {
        return void process.kill(-child.pid, m.signal);
      } catch {}
    }
    child.kill(m.signal);
  } else if (m.op === "destroy") {
    const stream = child[m.stream];
    stream && stream.destroy();
  }
});
`;

type Report =
  | { id: number; ev: "spawned"; pid: number | undefined }
  | { id: number; ev: "stdout" | "stderr"; data: Uint8Array }
  | { id: number; ev: "message"; msg: unknown }
  | { id: number; ev: "error"; err: { message: string; code?: string; errno?: number; syscall?: string; path?: string; name?: string } }
  | { id: number; ev: "disconnect" }
  | { id: number; ev: "exit" | "close"; code: number | null; signal: NodeJS.Signals | null };

/** A flow process's stdout or stderr, as the runner reads it: data events, an encoding, resume, destroy. */
class RemoteOutput extends EventEmitter {
  private decoder: StringDecoder | undefined;
  destroyed = false;

  constructor(private readonly destroyRemote: () => void) {
    super();
  }

  setEncoding(encoding: BufferEncoding): this {
    this.decoder = new StringDecoder(encoding);
    return this;
  }

  resume(): this {
    return this; // its data is read in the worker whether or not anyone listens here
  }

  /** @internal */
  data(bytes: Uint8Array): void {
    if (this.destroyed) return;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.emit("data", this.decoder ? this.decoder.write(buffer) : buffer);
  }

  /** @internal */
  end(): void {
    if (this.destroyed) return;
    const rest = this.decoder?.end();
    if (rest) this.emit("data", rest);
    this.emit("end");
    this.destroyed = true;
    this.emit("close");
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.destroyRemote();
      this.emit("close");
    }
    return this;
  }
}

/** A process started by the spawn thread, with the part of ChildProcess the runner uses. */
export class RemoteChild extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  connected = true;
  readonly stdout: RemoteOutput;
  readonly stderr: RemoteOutput;

  constructor(
    private readonly thread: SpawnThread,
    readonly id: number,
  ) {
    super();
    this.stdout = new RemoteOutput(() => thread.post({ op: "destroy", id, stream: "stdout" }));
    this.stderr = new RemoteOutput(() => thread.post({ op: "destroy", id, stream: "stderr" }));
  }

  /** Sends a message to the process; throws, as ChildProcess#send does, for a value that cannot be sent. */
  send(message: unknown): boolean {
    if (!this.connected) {
      queueMicrotask(() => {
        if (this.listenerCount("error") > 0)
          this.emit("error", Object.assign(new Error("Channel closed"), { code: "ERR_IPC_CHANNEL_CLOSED" }));
      });
      return false;
    }
    this.thread.post({ op: "send", id: this.id, msg: message });
    return true;
  }

  /** Signals the process (before its pid is known too: the thread starts it first). */
  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (this.exitCode !== null || this.signalCode !== null) return false;
    this.thread.post({ op: "kill", id: this.id, signal, group: false });
    return true;
  }

  /** Signals the process and every process it started (its own process group). */
  killGroup(signal: NodeJS.Signals): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.thread.post({ op: "kill", id: this.id, signal, group: true });
  }

  /** @internal A report from the thread. */
  report(r: Report): void {
    switch (r.ev) {
      case "spawned":
        this.pid = r.pid;
        if (r.pid !== undefined) this.emit("spawn");
        break;
      case "stdout":
      case "stderr":
        this[r.ev].data(r.data);
        break;
      case "message":
        this.emit("message", r.msg);
        break;
      case "error": {
        const err = Object.assign(new Error(r.err.message), r.err);
        if ((r.err.syscall ?? "").startsWith("spawn")) this.connected = false;
        // Not thrown where nobody listens: it would be thrown on the thread that relays every process.
        if (this.listenerCount("error") > 0) this.emit("error", err);
        break;
      }
      case "disconnect":
        this.connected = false;
        this.emit("disconnect");
        break;
      case "exit":
        this.exitCode = r.code;
        this.signalCode = r.signal;
        this.emit("exit", r.code, r.signal);
        break;
      case "close":
        this.connected = false;
        this.stdout.end();
        this.stderr.end();
        this.emit("close", r.code, r.signal);
        break;
    }
  }
}

/** The worker thread that starts flow processes and relays what they say. */
export class SpawnThread {
  private worker: Worker | undefined;
  private readonly children = new Map<number, RemoteChild>();
  private nextId = 1;
  private disposed = false;

  /** Starts a process as child_process.spawn would, from the thread; the stand-in is returned at once. */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    const child = new RemoteChild(this, this.nextId++);
    if (this.disposed) {
      // The window is closing: nothing new starts.
      queueMicrotask(() => {
        child.report({ id: child.id, ev: "error", err: { message: "Flowline is shutting down in this window.", syscall: "spawn" } });
        child.report({ id: child.id, ev: "close", code: null, signal: null });
      });
      return child as unknown as ChildProcess;
    }
    this.children.set(child.id, child);
    const worker = this.thread();
    worker.ref(); // while a process it started runs, as that process's pipes would hold this one
    worker.postMessage({ op: "spawn", id: child.id, command, args: [...args], options });
    return child as unknown as ChildProcess;
  }

  /** @internal A message about a process the thread started (none is left once the thread has ended). */
  post(message: object): void {
    this.worker?.postMessage(message);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER, { eval: true });
    worker.on("message", (r: Report) => {
      const child = this.children.get(r.id);
      if (!child) return;
      if (r.ev === "close") {
        this.children.delete(r.id);
        if (this.children.size === 0) this.idle(worker);
      }
      child.report(r);
    });
    // Should the thread end, its processes' runs end too (as crashed), rather than wait forever.
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const children = [...this.children.values()];
      this.children.clear();
      for (const child of children) {
        child.report({ id: child.id, ev: "error", err: { message: `The thread that started the flow process ended (${why}).` } });
        child.report({ id: child.id, ev: "close", code: null, signal: null });
      }
    };
    worker.on("error", (err) => lost(err.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** No process of the thread's is left: it no longer keeps this process up, and ends if disposed. */
  private idle(worker: Worker): void {
    worker.unref();
    if (this.disposed && this.worker === worker) {
      this.worker = undefined;
      void worker.terminate();
    }
  }

  /**
   * Starts nothing more. The thread ends once the processes it started have ended (the window's runs are
   * cancelled as it closes, its waiting process killed): it must be there to collect their exit, or they
   * would stay behind as zombies.
   */
  dispose(): void {
    this.disposed = true;
    if (this.worker && this.children.size === 0) this.idle(this.worker);
  }
}

/** Whether `child` is a stand-in for a process the spawn thread started. */
export function isRemoteChild(child: ChildProcess): boolean {
  return (child as unknown) instanceof RemoteChild;
}
