import type { StateType } from "../shared/events";
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

export interface EventsMessage {
  type: "events";
  /** Engine events as JSON lines, exactly as the journal has them. */
  lines: string;
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

export type ChildMessage = LoadedMessage | EventsMessage | DoneMessage | FatalMessage;

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}
