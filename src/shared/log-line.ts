import type { EngineEvent, LogEvent } from "./events";

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

/** The labels of the runs seen so far, to name the run each log line is from. */
export class RunLabels {
  private readonly labels = new Map<string, string>();

  /** Learns a run's label from its flow_run or task_run event; other events are ignored. */
  see(event: EngineEvent): void {
    if (event.e === "flow_run") this.add("flow", event.id, event.name);
    else if (event.e === "task_run") this.add("task", event.id, event.name);
  }

  add(kind: "flow" | "task", id: string, name: string): void {
    this.labels.set(id, runLabel(kind, name));
  }

  get(id: string): string | undefined {
    return this.labels.get(id);
  }

  /** The label of a log line: its task run's, else its flow run's; "Flowline" for lines outside any run. */
  of(line: { flowRunId?: string; taskRunId?: string }): string {
    return (line.taskRunId && this.labels.get(line.taskRunId)) || (line.flowRunId && this.labels.get(line.flowRunId)) || "Flowline";
  }
}
