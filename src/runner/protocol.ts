import type { EngineEvent, StateType } from "../engine/events";

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

export type ParentMessage = StartMessage | CancelMessage;

export interface FlowSummary {
  /** The export name, when the flow is exported. */
  exportName?: string;
  name: string;
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
