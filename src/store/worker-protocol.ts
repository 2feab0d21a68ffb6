// Messages between a StoreClient (in the extension host's main thread) and its worker thread.

export interface WorkerData {
  home: string;
  wasmPath?: string;
  retentionDays?: number;
  cacheBytes?: number;
  /** Who this is, told to processes that wait for the home's lock ("VS Code"). */
  label?: string;
}

export interface CallMessage {
  id: number;
  /** A StoreApi method, or with `extra` one of the worker's extras (serveStore). */
  method: string;
  extra?: boolean;
  args: unknown[];
}

export type WorkerReply =
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; name: string; message: string; code?: string }
  | { type: "warning"; message: string }
  | { type: "ready" }
  | { type: "failed"; message: string };
