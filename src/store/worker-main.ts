import { parentPort, workerData } from "node:worker_threads";
import { STORE_METHODS, type StoreApi } from "./api";
import { openStore, setSqlWasmPath } from "./index";
import type { CallMessage, WorkerData, WorkerReply } from "./worker-protocol";

// The store in a worker thread: the extension host's main thread never runs sql.js, so folding a big
// journal or reading a big segment cannot freeze the editor. Calls are answered in the order they come.

const port = parentPort;
if (!port) throw new Error("worker-main runs only as a worker thread.");

const data = workerData as WorkerData;
const post = (m: WorkerReply) => port.postMessage(m);
if (data.wasmPath) setSqlWasmPath(data.wasmPath);

const allowed = new Set<string>(STORE_METHODS);
openStore(data.home, { onWarning: (message) => post({ type: "warning", message }), retentionDays: data.retentionDays, cacheBytes: data.cacheBytes }).then(
  (store) => {
    post({ type: "ready" });
    port.on("message", (m: CallMessage | "close") => {
      if (m === "close") {
        store.close();
        port.close();
        return;
      }
      if (!allowed.has(m.method)) {
        post({ type: "error", id: m.id, name: "Error", message: `No store method ${m.method}.` });
        return;
      }
      const method = store[m.method] as (...args: unknown[]) => Promise<unknown>;
      Promise.resolve()
        .then(() => method.apply(store as StoreApi, m.args))
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
