import { TERMINAL_STATES } from "../shared/events";
import type { FlowRun, RunState } from "../store";
import type { ActiveRun, RunOutcome } from "./run-manager";

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

/**
 * The one duration of a run: from its first Running state to its terminal state (or to `now`), as the
 * store keeps them (startTime, endTime); undefined before it started.
 */
export function runMs(run: { startTime?: string; endTime?: string } | undefined, now: number = Date.now()): number | undefined {
  if (!run?.startTime) return undefined;
  return (run.endTime ? Date.parse(run.endTime) : now) - Date.parse(run.startTime);
}

/** How long a run took, or has been running (to `now`); "" before it started. */
export function runDuration(run: { startTime?: string; endTime?: string }, now: number = Date.now()): string {
  const ms = runMs(run, now);
  return ms === undefined ? "" : formatDuration(ms);
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

/** One formatter for every count: Number#toLocaleString builds one a call (a profile of a tree refresh showed it). */
const COUNT = new Intl.NumberFormat("en");

/** "12 of 250 task runs done" (task runs that ended, in any state), or "" without task runs. */
export function taskRunsDone(run: Pick<FlowRun, "taskRunCounts">): string {
  const { total, byState } = run.taskRunCounts;
  if (total === 0) return "";
  const done = TERMINAL_STATES.reduce((n, type) => n + (byState[type] ?? 0), 0);
  return `${COUNT.format(done)} of ${COUNT.format(total)} task ${total === 1 ? "run" : "runs"} done`;
}

/**
 * A flow run's state, duration and task counter, worded alike in the tree, the lens, the status bar and the
 * notification: "Running · 1.20 s · 5 of 29 task runs done". The duration is the store's (runDuration).
 */
export function runSummary(run: Pick<FlowRun, "state" | "startTime" | "endTime" | "taskRunCounts">, now: number = Date.now()): string {
  return [stateText(run.state), runDuration(run, now), taskRunsDone(run)].filter(Boolean).join(" · ");
}

/** A going run as the tree words it (runSummary), with the task run going now. */
export function progressText(run: ActiveRun, now: number = Date.now()): string {
  if (run.cancelRequested) return "cancelling…";
  const live = run.live.snapshot;
  const parts = [live ? runSummary(live, now) : run.state.name];
  if (run.currentTask && run.tasksEnded < run.tasksStarted) parts.push(run.currentTask);
  return parts.join(" · ");
}

/** How a run ended, as the tree words it; its state alone when it never started. */
export function endedSummary(outcome: RunOutcome): string {
  return outcome.flowRun ? runSummary(outcome.flowRun) : outcome.state.name;
}
