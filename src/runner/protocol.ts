import type { ArtifactType, LogLevel, StateType } from "../shared/events";
import type { FlowParameters } from "../engine/parameter-specs";

// The typed messages between the process that starts a run (CLI, extension) and the child process
// that runs the user's flow. Neither end imports vscode.

export interface StartMessage {
  type: "start";
  /** Absolute path of the flow file. */
  file: string;
  /** Export name or flow name; may be left out when the file has one flow. */
  flow?: string;
  parameters: Record<string, unknown>;
  home: string;
}

export interface CancelMessage {
  type: "cancel";
  reason?: string;
}

/**
 * Asks for the flows of a file and their parameters without running any (the Run with parameters…
 * prompt): the flow process loads the file, answers `loaded` (or `fatal`, as a start would), and exits.
 */
export interface DescribeMessage {
  type: "describe";
  /** Absolute path of the flow file. */
  file: string;
  /** Export name or flow name, selected as a start selects it; may be left out when the file has one flow. */
  flow?: string;
}

export type ParentMessage = StartMessage | DescribeMessage | CancelMessage;

export interface FlowSummary {
  /** The export name, when the flow is exported. */
  exportName?: string;
  name: string;
  /** Its parameters as the engine binds them: what a prompt offers and checks before a run. */
  parameters: FlowParameters;
}

export interface LoadedMessage {
  type: "loaded";
  flows: FlowSummary[];
  selected: FlowSummary;
}

/**
 * What the parent shows of a run while it goes, sent at most every few tens of milliseconds and never
 * while the channel is backed up (then it is merged into the next one): the journal on disk is the
 * record, this is only the live view. Counts are totals so far, so a message that merges several says
 * the same as they would have.
 */
export interface LiveMessage {
  type: "live";
  /** Flow runs that started since the last message (the top-level one comes first of all). */
  flowRuns?: LiveFlowRun[];
  /** The latest state of each flow run whose state changed since the last message. */
  flowStates?: LiveFlowState[];
  /** The task runs of the whole run (subflows' too) so far. */
  taskRuns: TaskRunCounts;
  /** The label of the task run that most recently started running, while it runs ("Task run 'load-3'"). */
  running?: string;
  /** Log lines since the last message, with the label of their run. */
  logs?: LiveLogLine[];
  /** Artifacts created since the last message. */
  artifacts?: LiveArtifact[];
  /** Log lines not sent because the channel was backed up, in all so far: they are in the run's logs. */
  logsNotShown: number;
}

/** A flow run as created; the top-level one also with what the views show of it before the store has it. */
export interface LiveFlowRun {
  id: string;
  name: string;
  flowName: string;
  parentFlowRunId?: string;
  /** ISO times. */
  created: string;
  expectedStartTime: string;
  tags: string[];
  /** The top-level flow run's only. */
  parameters?: unknown;
  file?: string;
  pid?: number;
}

export interface LiveFlowState {
  id: string;
  type: StateType;
  name: string;
  message?: string;
  /** ISO time of the state: durations read from it match the stored ones. */
  ts: string;
  runCount?: number;
  /** The top-level flow run's first Running, once it has run. */
  startTime?: string;
}

/** How many task runs were created, and how many ended in each final state. */
export interface TaskRunCounts {
  created: number;
  Completed: number;
  Failed: number;
  Crashed: number;
  Cancelled: number;
}

export interface LiveLogLine {
  level: LogLevel;
  message: string;
  /** ISO time. */
  ts: string;
  /** Who the line is from: "Flow run 'hello-0'", "Task run 'greet-0'", "Flowline". */
  label: string;
  flowRunId?: string;
  taskRunId?: string;
}

export interface LiveArtifact {
  id: string;
  key?: string;
  type: ArtifactType;
  flowRunId?: string;
  taskRunId?: string;
}

export interface DoneMessage {
  type: "done";
  flowRunId: string;
  flowRunName: string;
  state: { type: StateType; name: string; message?: string };
  /** The flow's return value, made JSON-safe. */
  result?: unknown;
  /** For a failed run: the error with its stack, source-mapped to the user's file. */
  error?: { name: string; message: string; stack?: string };
}

/** The run could not start: bad arguments, a file that does not compile or load, an unknown flow. */
export interface FatalMessage {
  type: "fatal";
  kind: "usage" | "load" | "internal";
  message: string;
}

export type ChildMessage = LoadedMessage | LiveMessage | DoneMessage | FatalMessage;

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}
