import { STORE_METHODS, type StoreApi } from "../store/api";
import type { WorkerStore } from "../store/worker-client";
import { logsText } from "./logs-text";
import { artifactMeta, artifactRaw, panelArtifact, panelState, tableRows } from "./panels/panel-reads";
import { recentResults, runArtifacts, taskRunIndex } from "./runs-reads";

// The extension's reads that run next to the store, in its worker thread (store-worker.ts serves them):
// whatever could be big (a table's rows, a run's artifacts or logs) is cut down there, and only what a
// view shows crosses to the extension host. In tests and benchmarks the same functions run over a store
// in the same thread (inProcessStore).

export interface WorkerMemory {
  /** The worker's JavaScript heap in use. */
  heapUsedBytes: number;
  /** Memory outside its heap: ArrayBuffers, sql.js's WebAssembly memory among them. */
  externalBytes: number;
}

/** process.memoryUsage() of the thread it runs in: in the worker, what the store holds. */
function memoryUsage(): WorkerMemory {
  const m = process.memoryUsage();
  return { heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

export const STORE_EXTRAS = {
  panelArtifact,
  panelState,
  tableRows,
  artifactRaw,
  artifactMeta,
  logsText,
  runArtifacts,
  recentResults,
  taskRunIndex,
  memoryUsage: (_store: StoreApi) => memoryUsage(),
};

type Extras = typeof STORE_EXTRAS;
type Bound<F> = F extends (store: StoreApi, ...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** The store as the extension uses it: the StoreApi and the extras, every call asynchronous. */
export type ExtensionStore = StoreApi & { readonly [K in keyof Extras]: Bound<Extras[K]> };

function build(base: Pick<StoreApi, "home" | "close">, method: (name: string) => (...args: unknown[]) => Promise<unknown>, extra: (name: keyof Extras) => (...args: unknown[]) => Promise<unknown>): ExtensionStore {
  const store: Record<string, unknown> = { home: base.home, close: () => base.close() };
  for (const name of STORE_METHODS) store[name] = method(name);
  for (const name of Object.keys(STORE_EXTRAS) as Array<keyof Extras>) store[name] = extra(name);
  return store as unknown as ExtensionStore;
}

/** The extension's store over a store in a worker thread (the worker serves STORE_EXTRAS). */
export function overWorker(worker: WorkerStore): ExtensionStore {
  const api = worker as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return build(worker, (name) => api[name], (name) => (...args) => worker.extra(name, ...args));
}

/** The same over a store in this thread (tests, benchmarks). */
export function inProcessStore(store: StoreApi): ExtensionStore {
  const api = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const extras = STORE_EXTRAS as unknown as Record<string, (store: StoreApi, ...args: unknown[]) => unknown>;
  return build(store, (name) => (...args) => api[name].apply(store, args), (name) => async (...args) => extras[name](store, ...args));
}
