import { parentPort, workerData } from "node:worker_threads";
import { STORE_METHODS, type StoreApi } from "./api";
import { openStore, setSqlWasmPath } from "./index";
import type { CallMessage, WorkerData, WorkerReply } from "./worker-protocol";

// The store in a worker thread: the extension host's main thread never runs sql.js, so folding a big
// journal or reading a big segment cannot freeze the editor. Calls are answered in the order they come.

/**
 * Work a caller wants done next to the store rather than on its own thread (the extension pages a big
 * table here, so its rows never cross whole). Each gets the open store and the call's arguments.
 */
export type StoreExtras = Record<string, (store: StoreApi, ...args: never[]) => unknown>;

/** Serves the store to the thread that started this worker: STORE_METHODS, and `extras` by name. */
export function serveStore(extras: StoreExtras = {}): void {
  const port = parentPort;
  if (!port) throw new Error("The Flowline store worker runs only as a worker thread.");
  const data = workerData as WorkerData;
  const post = (m: WorkerReply) => port.postMessage(m);
  if (data.wasmPath) setSqlWasmPath(data.wasmPath);

  const allowed = new Set<string>(STORE_METHODS);
  openStore(data.home, { label: data.label, onWarning: (message) => post({ type: "warning", message }), retentionDays: data.retentionDays, cacheBytes: data.cacheBytes }).then(
    (store) => {
      post({ type: "ready" });
      port.on("message", (m: CallMessage | "close") => {
        if (m === "close") {
          store.close();
          port.close();
          return;
        }
        const extra = m.extra ? Object.hasOwn(extras, m.method) && extras[m.method] : undefined;
        if (!extra && (m.extra || !allowed.has(m.method))) {
          post({ type: "error", id: m.id, name: "Error", message: `No store method ${m.method}.` });
          return;
        }
        const call = extra
          ? () => (extra as (s: StoreApi, ...a: unknown[]) => unknown)(store, ...m.args)
          : () => (store[m.method as keyof StoreApi] as (...args: unknown[]) => unknown).apply(store, m.args);
        Promise.resolve()
          .then(call)
          .then(
            (value) => post({ type: "result", id: m.id, value }),
            (err: unknown) => {
              const e = err instanceof Error ? err : new Error(String(err));
              post({ type: "error", id: m.id, name: e.name, message: e.message, code: (e as { code?: string }).code });
            },
          );
      });
    },
    (err: unknown) => post({ type: "failed", message: err instanceof Error ? err.message : String(err) }),
  );
}
