import type { LogEvent } from "./events";

// How a run's log line reads wherever it is shown: the CLI's terminal, the engine's own echo, the editor's
// Output channel (which adds its own time and level) and stored logs opened as a document.

/** Who a log line is from: "Flow run 'hello-0'", "Task run 'greet-0'". */
export function runLabel(kind: "flow" | "task", name: string): string {
  return kind === "task" ? `Task run '${name}'` : `Flow run '${name}'`;
}

/** A line where the reader shows time and level by itself: `Task run 'hello-0' - message`. */
export function logText(label: string, message: string): string {
  return `${label} - ${message}`;
}

/** One line as the CLI prints it: `12:00:01.123 | INFO    | Task run 'hello-0' - message`. */
export function formatLogLine(event: Pick<LogEvent, "level" | "message" | "ts">, label: string): string {
  return `${event.ts.slice(11, 23)} | ${event.level.padEnd(7)} | ${logText(label, event.message)}`;
}

/** What a front end says at a run's end when it could not show every log line as it came (it fell behind). */
export function logsNotShownText(count: number): string {
  return `${count.toLocaleString("en")} log line${count === 1 ? "" : "s"} not shown live; ${count === 1 ? "it is" : "they are"} in the run's logs`;
}
