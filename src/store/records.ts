import { isTerminal, type LogLevel, type StateChange, type StateEvent, type StateType } from "../shared/events";
import { isoTime, parseEventLine } from "./events-parse";

// The documents the store keeps in payload files: a flow run's task runs, in chunks of records kept in
// creation order, and its log lines, in chunks of lines. Both sides of the store (folding and reading) use
// these shapes; `applyStateToRecord` is the one place that says how a state changes a run.

/** One entry of a run's state history: [type, name, ISO time, message?]. */
export type HistoryEntry = [StateType, string, string] | [StateType, string, string, string];

export interface TaskRecord extends StateFields {
  id: string;
  name: string;
  taskName: string;
  parameters: unknown;
  tags: string[];
  cacheKey?: string;
  created: string;
  history: HistoryEntry[];
}

/** A log line in a chunk: [seq, taskRunId or null, level, message, ISO time]. */
export type LogLine = [number, string | null, string, string, string];

/** A chunk takes at most this many task runs, or about this many bytes of them. */
export const TASK_CHUNK_RECORDS = 1000;
export const TASK_CHUNK_BYTES = 256 * 1024;
/** A log chunk takes at most this many lines, or about this many bytes of them. */
export const LOG_CHUNK_LINES = 1000;
export const LOG_CHUNK_BYTES = 256 * 1024;

/** A state event as the store keeps it: its time normalized, its absent fields undefined (not null). */
export function stateChangeOf(ev: StateEvent): StateChange {
  return { type: ev.type, name: ev.name, message: ev.message ?? undefined, ts: isoTime(ev.ts), runCount: ev.runCount ?? undefined, resultKey: ev.resultKey ?? undefined };
}

/** The fields of a run that a state changes (flow runs and task runs alike). */
export interface StateFields {
  type: StateType;
  stateName: string;
  message?: string;
  runCount: number;
  start?: string;
  end?: string;
  resultKey?: string;
}

/** A new run's state fields: Pending, not run yet. */
export function pendingState(): StateFields {
  return { type: "Pending", stateName: "Pending", runCount: 0 };
}

/**
 * Applies a state to a run in place: a terminal state is final (a later report goes only to the history),
 * the start time is the first Running, the end time the terminal state's. Returns true when the run's
 * state changed.
 */
export function applyStateToFields(run: StateFields, s: StateChange): boolean {
  if (isTerminal(run.type)) return false;
  run.type = s.type;
  run.stateName = s.name;
  run.message = s.message;
  if (s.runCount !== undefined) run.runCount = s.runCount;
  if (s.type === "Running" && run.start === undefined) run.start = s.ts;
  if (isTerminal(s.type)) run.end = s.ts;
  if (s.resultKey !== undefined) run.resultKey = s.resultKey;
  return true;
}

export function historyEntry(s: StateChange): HistoryEntry {
  return s.message === undefined ? [s.type, s.name, s.ts] : [s.type, s.name, s.ts, s.message];
}

/** Counts of a set of task runs by state type, as stored on chunks and flow runs. */
export type StateCounts = Partial<Record<StateType, number>>;

export function countStates(records: readonly TaskRecord[]): StateCounts {
  const counts: StateCounts = {};
  for (const r of records) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

/** Moves one run in `counts` from state type `from` to `to` (either may be absent). */
export function moveCount(counts: StateCounts, from: StateType | undefined, to: StateType | undefined): void {
  if (from !== undefined) counts[from] = (counts[from] ?? 0) - 1;
  if (to !== undefined) counts[to] = (counts[to] ?? 0) + 1;
}

/** The counts as stored: types with no runs left out. */
export function storedCounts(counts: StateCounts): StateCounts {
  const out: StateCounts = {};
  for (const type in counts) {
    const n = counts[type as StateType];
    if (n) out[type as StateType] = n;
  }
  return out;
}

/** True when no run in the counts can still change. */
export function allEnded(counts: StateCounts): boolean {
  return (counts.Pending ?? 0) === 0 && (counts.Running ?? 0) === 0;
}

/** Each line of a chunk that is an event, parsed; lines that are not are skipped (and counted). */
function eachEvent(text: string, fn: (ev: ReturnType<typeof parseEventLine>) => void): number {
  let skipped = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end > start) {
      try {
        fn(parseEventLine(text.slice(start, end)));
      } catch {
        skipped++;
      }
    }
    start = end + 1;
  }
  return skipped;
}

function replayState(r: TaskRecord, ev: StateEvent): void {
  const s = stateChangeOf(ev);
  applyStateToFields(r, s);
  r.history.push(historyEntry(s));
}

/** The task runs a chunk's lines describe: their creation replayed with every state after it, in order. */
export function replayTasks(text: string): TaskRecord[] {
  const out: TaskRecord[] = [];
  const byId = new Map<string, TaskRecord>();
  eachEvent(text, (ev) => {
    if (!ev) return;
    if (ev.e === "task_run") {
      if (byId.has(ev.id)) return;
      const created = isoTime(ev.created);
      const r: TaskRecord = { id: ev.id, name: ev.name, taskName: ev.taskName, parameters: ev.parameters, tags: ev.tags ?? [], ...pendingState(), created, history: [["Pending", "Pending", created]] };
      if (ev.cacheKey !== undefined && ev.cacheKey !== null) r.cacheKey = ev.cacheKey;
      byId.set(ev.id, r);
      out.push(r);
      // The states the line stands for too (journal.ts writes a task run's first states into its line).
      if (typeof ev.running === "string") replayState(r, { e: "state", kind: "task", id: ev.id, type: "Running", name: "Running", ts: ev.running, runCount: 1 });
      if (typeof ev.completed === "string") replayState(r, { e: "state", kind: "task", id: ev.id, type: "Completed", name: "Completed", ts: ev.completed, runCount: 1 });
    } else if (ev.e === "state" && ev.kind === "task") {
      const r = byId.get(ev.id);
      if (r) replayState(r, ev);
    }
  });
  return out;
}

export interface ReplayedLog {
  seq: number;
  taskRunId?: string;
  level: LogLevel;
  message: string;
  ts: string;
}

/** The log lines of a chunk, numbered from `firstSeq`. */
export function replayLogs(text: string, firstSeq: number): ReplayedLog[] {
  const out: ReplayedLog[] = [];
  let seq = firstSeq;
  eachEvent(text, (ev) => {
    if (!ev || ev.e !== "log") return;
    out.push({ seq: seq++, taskRunId: ev.taskRunId ?? undefined, level: ev.level, message: ev.message, ts: isoTime(ev.ts) });
  });
  return out;
}
