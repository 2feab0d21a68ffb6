// The events an engine emits while it runs. The same objects are appended to the process's journal
// (one JSON line each, the durable record the store folds in) and streamed live to the parent process.
// Keep them small and flat: every task run writes a few of them.

/** The states a run ends in: once in one, a run never leaves it. The one list of them. */
export const TERMINAL_STATES = ["Completed", "Failed", "Crashed", "Cancelled"] as const;
/** Every state type, in the order a run goes through them. */
export const STATE_TYPES = ["Pending", "Running", ...TERMINAL_STATES] as const;

export type StateType = (typeof STATE_TYPES)[number];
export type TerminalStateType = (typeof TERMINAL_STATES)[number];

const TERMINAL: ReadonlySet<StateType> = new Set(TERMINAL_STATES);

export function isTerminal(type: StateType): type is TerminalStateType {
  return TERMINAL.has(type);
}

/** What names a flow run wherever it is kept: its event, the store's row, the store's answer. */
export interface FlowRunIdentity {
  id: string;
  name: string;
  flowName: string;
  parameters: unknown;
  tags: string[];
  parentFlowRunId?: string;
  parentTaskRunId?: string;
}

/** A run was created (flow run or task run). Its first state follows as a separate event. */
export interface FlowRunCreatedEvent extends FlowRunIdentity {
  e: "flow_run";
  /** ISO time. */
  created: string;
  /** ISO time: when the run was meant to start (now, for runs started by hand). */
  expectedStartTime: string;
  /** The flow file, when started by the runner. */
  file?: string;
  pid: number;
}

/** What names a task run wherever it is kept: its event, the store's answer. */
export interface TaskRunIdentity {
  id: string;
  flowRunId: string;
  name: string;
  taskName: string;
  parameters: unknown;
  tags: string[];
  cacheKey?: string;
}

export interface TaskRunCreatedEvent extends TaskRunIdentity {
  e: "task_run";
  created: string;
  /**
   * Journal lines only (the engine never emits these): the run's first Running state (name "Running",
   * runCount 1) at this time, and then its Completed state (name "Completed", no message, no result key).
   * The journal writes a task run whose states follow its creation directly as this one line instead of
   * three (journal.ts); readers replay them as those states.
   */
  running?: string;
  completed?: string;
}

/** A state transition of a flow run or task run. */
export interface StateEvent extends StateChange {
  e: "state";
  kind: "flow" | "task";
  id: string;
  /** On a terminal state of a flow run: a JSON-safe preview of the result (omitted when large). */
  result?: unknown;
}

/** What a state transition says, whoever keeps it (the event; the store's replay of task runs). */
export interface StateChange {
  type: StateType;
  name: string;
  message?: string;
  /** ISO time. */
  ts: string;
  runCount?: number;
  /** On a terminal state: where the result was persisted (storage key relative to the storage folder). */
  resultKey?: string;
}

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";

export interface LogEvent {
  e: "log";
  flowRunId?: string;
  taskRunId?: string;
  level: LogLevel;
  message: string;
  ts: string;
}

export type ArtifactType = "table" | "markdown" | "link" | "progress" | "image";

/** An artifact as created: its event, and (with what the store adds) the store's answer. */
export interface ArtifactFields {
  id: string;
  key?: string;
  type: ArtifactType;
  description?: string;
  data: unknown;
  flowRunId?: string;
  taskRunId?: string;
  created: string;
}

export interface ArtifactEvent extends ArtifactFields {
  e: "artifact";
}

export interface ArtifactUpdateEvent {
  e: "artifact_update";
  id: string;
  data: unknown;
  description?: string;
  ts: string;
}

/** A cached result, so that a later run (in any process) can reuse it. */
export interface CacheEvent {
  e: "cache";
  cacheKey: string;
  storageKey: string;
  taskRunId: string;
  created: string;
  /** ISO time, or absent for no expiry. */
  expiresAt?: string;
}

/** The last line of a journal whose writer ended cleanly. */
export interface CloseEvent {
  e: "close";
  ts: string;
}

export type EngineEvent =
  | FlowRunCreatedEvent
  | TaskRunCreatedEvent
  | StateEvent
  | LogEvent
  | ArtifactEvent
  | ArtifactUpdateEvent
  | CacheEvent
  | CloseEvent;

/**
 * Orders ISO times (or any plain text) by code point: what `<` does. localeCompare would load the ICU collator
 * first, a tenth of a `runs ls` here.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
