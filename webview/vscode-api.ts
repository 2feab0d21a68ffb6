import type { PanelState, WebviewMessage } from "../src/shared/panel-protocol";

// The one place that touches acquireVsCodeApi: it may be called once per page, and the object it returns
// stays private to this module (the guide asks that it never reach the global scope).

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(message: WebviewMessage): void {
  api.postMessage(message);
}

let pending: PanelState | undefined;

export function loadState(): PanelState {
  if (pending) return pending;
  const s = api.getState();
  return typeof s === "object" && s !== null ? (s as PanelState) : {};
}

/** Saves what is batched now: before something that reloads the page (the host may answer with a reload). */
export function flushState(): void {
  if (pending === undefined) return;
  api.setState(pending);
  pending = undefined;
}

/** Merges into the saved state. Writes are batched (scrolling calls this many times a second). */
export function saveState(patch: PanelState): void {
  const first = pending === undefined;
  pending = { ...loadState(), ...patch };
  if (first) {
    setTimeout(flushState, 50);
  }
}
