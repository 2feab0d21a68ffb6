import type { RunState } from "../store";

// How runs look in the tree, the lenses and the status bar: state icons with theme colours, durations,
// relative times. Plain data (codicon ids and theme colour ids), so it is tested without VS Code.

export interface StateIcon {
  /** A codicon id (`pass`, `sync~spin`, ...). */
  id: string;
  /** A theme colour id, as `new ThemeColor(color)` takes it. */
  color?: string;
}

/** The icon of a state: Prefect's state names (Cached, Retrying, TimedOut, ...) get their own. */
export function stateIcon(state: Pick<RunState, "type" | "name">): StateIcon {
  switch (state.type) {
    case "Completed":
      return state.name === "Cached" ? { id: "database", color: "testing.iconPassed" } : { id: "pass-filled", color: "testing.iconPassed" };
    case "Failed":
      return state.name === "TimedOut" ? { id: "watch", color: "testing.iconFailed" } : { id: "error", color: "testing.iconFailed" };
    case "Crashed":
      return { id: "flame", color: "testing.iconErrored" };
    case "Cancelled":
      return { id: "circle-slash", color: "testing.iconSkipped" };
    case "Running":
      return { id: "sync~spin", color: "testing.iconQueued" };
    case "Pending":
      return state.name === "AwaitingRetry" || state.name === "Retrying" ? { id: "history", color: "testing.iconQueued" } : { id: "clock", color: "testing.iconQueued" };
  }
}

/** The same as a `$(icon)` for labels that take codicons (CodeLens, status bar). */
export function stateGlyph(state: Pick<RunState, "type" | "name">): string {
  return `$(${stateIcon(state).id})`;
}

export function isActiveState(type: RunState["type"]): boolean {
  return type === "Running" || type === "Pending";
}

/** `0.42 s`, `12.3 s`, `3 min 04 s`, `2 h 05 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** How long a run took, or has been running (to `now`); "" before it started. */
export function runDuration(run: { startTime?: string; endTime?: string }, now: number = Date.now()): string {
  if (!run.startTime) return "";
  const start = Date.parse(run.startTime);
  const end = run.endTime ? Date.parse(run.endTime) : now;
  return formatDuration(end - start);
}

/** `just now`, `5 min ago`, `3 h ago`, then the date. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "";
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** The part of a state worth showing next to it: its name, and its message when it explains a failure. */
export function stateText(state: RunState): string {
  return state.type === "Completed" || state.type === "Running" || !state.message ? state.name : `${state.name}: ${firstLine(state.message)}`;
}

export function firstLine(text: string, max = 200): string {
  const line = text.split("\n")[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
