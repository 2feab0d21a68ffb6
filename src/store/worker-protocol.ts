import type { StoreMethod } from "./api";

// Messages between a StoreClient (in the extension host's main thread) and its worker thread.

export interface WorkerData {
  home: string;
  wasmPath?: string;
  retentionDays?: number;
  cacheBytes?: number;
}

export interface CallMessage {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

export type WorkerReply =
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; name: string; message: string; code?: string }
  | { type: "warning"; message: string }
  | { type: "ready" }
  | { type: "failed"; message: string };
