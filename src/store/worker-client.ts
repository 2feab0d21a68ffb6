import { Worker } from "node:worker_threads";
import { STORE_METHODS, type StoreApi, type StoreMethod } from "./api";
import { StoreLookupError } from "./reads";
import type { CallMessage, WorkerData, WorkerReply } from "./worker-protocol";

// A store that lives in a worker thread: the same StoreApi, each call a message. Used by the extension so
// that no store work (sql.js, folding, reading segments) runs on the extension host's main thread.

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface StoreClientOptions extends Omit<WorkerData, "home"> {
  /** The built worker entry (dist/store-worker.js). */
  workerFile: string;
  onWarning?: (message: string) => void;
}

export class StoreClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Set once the worker stopped (crashed, or closed): later calls fail at once instead of hanging. */
  private stopped: Error | undefined;
  /** Settles when the worker has opened the store (or failed to). */
  readonly ready: Promise<void>;
  /** Resolves once the worker thread has stopped (after close(), or a crash). */
  readonly exited: Promise<void>;

  constructor(
    readonly home: string,
    opts: StoreClientOptions,
  ) {
    const data: WorkerData = { home, wasmPath: opts.wasmPath, retentionDays: opts.retentionDays, cacheBytes: opts.cacheBytes, label: opts.label };
    this.worker = new Worker(opts.workerFile, { workerData: data });
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (m: WorkerReply) => {
        switch (m.type) {
          // Opening keeps the process alive; once open, only calls being answered do.
          case "ready":
            if (this.pending.size === 0) this.worker.unref();
            return resolve();
          case "failed":
            this.worker.unref();
            return reject(new Error(m.message));
          case "warning":
            return opts.onWarning?.(m.message);
          case "result":
          case "error": {
            const p = this.pending.get(m.id);
            if (!p) return;
            this.pending.delete(m.id);
            if (this.pending.size === 0) this.worker.unref();
            if (m.type === "result") p.resolve(m.value);
            else p.reject(errorOf(m));
          }
        }
      });
      this.worker.on("error", (err) => {
        this.stopped ??= err;
        reject(err);
        this.failAll(err);
      });
      this.worker.on("exit", () => {
        const err = new Error("The Flowline store worker stopped.");
        this.stopped ??= err;
        reject(err);
        this.failAll(err);
      });
    });
    this.ready.catch(() => undefined);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  call<M extends StoreMethod>(method: M, ...args: Parameters<StoreApi[M]>): ReturnType<StoreApi[M]> {
    return this.send(method, false, args) as ReturnType<StoreApi[M]>;
  }

  /** Calls one of the worker's extras (see serveStore in worker-main.ts). */
  extra(method: string, args: unknown[]): Promise<unknown> {
    return this.send(method, true, args);
  }

  private send(method: string, extra: boolean, args: unknown[]): Promise<unknown> {
    return this.ready.then(
      () =>
        new Promise<unknown>((resolve, reject) => {
          if (this.closed) return reject(new Error("This Flowline store is closed."));
          if (this.stopped) return reject(this.stopped);
          const id = this.nextId++;
          // A call being answered keeps the process alive (an idle worker does not).
          if (this.pending.size === 0) this.worker.ref();
          this.pending.set(id, { resolve, reject });
          this.worker.postMessage({ id, method, ...(extra ? { extra } : {}), args } satisfies CallMessage);
        }),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Until it has stopped: its last write finishes even if nothing else keeps the process alive.
    this.worker.ref();
    this.worker.postMessage("close");
    // A worker that does not stop by itself (a long fold) is ended; its write commits or not at all.
    setTimeout(() => void this.worker.terminate(), 5000).unref();
  }
}

function errorOf(m: { name: string; message: string; code?: string }): Error {
  if (m.name === "StoreLookupError") return new StoreLookupError(m.message, (m.code ?? "not-found") as StoreLookupError["code"]);
  const err = new Error(m.message);
  err.name = m.name;
  return err;
}

export interface WorkerStore extends StoreApi {
  /** Settles when the worker has opened the store (or failed to). */
  ready: Promise<void>;
  /** Resolves once the worker has stopped: after close(), its last write is done. */
  exited: Promise<void>;
  /** Calls one of the worker's extras by name. */
  extra(method: string, ...args: unknown[]): Promise<unknown>;
}

/** A StoreApi backed by a worker thread. */
export function workerStore(home: string, opts: StoreClientOptions): WorkerStore {
  const client = new StoreClient(home, opts);
  const api = { home, ready: client.ready, exited: client.exited, close: () => client.close(), extra: (method: string, ...args: unknown[]) => client.extra(method, args) } as WorkerStore;
  for (const method of STORE_METHODS) {
    (api as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => (client.call as (m: string, ...a: unknown[]) => Promise<unknown>)(method, ...args);
  }
  return api;
}
