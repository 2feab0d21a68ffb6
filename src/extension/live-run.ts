import { isTerminal, type EngineEvent } from "../shared/events";
import type { FlowRun } from "../store/types";

// A flow run as its own process reports it, event by event, before the store has folded anything: the
// tree shows it Running a moment after the click, and the lens, the status bar, the notification and the
// tree read one object, so they agree on its state, its task counter and its duration. The fields are the
// store's (startTime: the first Running; endTime: the terminal state), so nothing changes when the
// store's row takes over.

export class LiveFlowRun {
  private run: FlowRun | undefined;
  /** Task runs seen, in all, and how many have ended. */
  tasksStarted = 0;
  tasksEnded = 0;
  /** The top-level flow run's id, once its process has created it. */
  get id(): string | undefined {
    return this.run?.id;
  }

  /** The flow run as last reported, or undefined before its process created it. */
  get snapshot(): FlowRun | undefined {
    return this.run;
  }

  see(event: EngineEvent): void {
    if (event.e === "flow_run") {
      if (this.run || event.parentFlowRunId) return;
      const { id, name, flowName, parameters, tags, created, expectedStartTime, file, pid } = event;
      this.run = { id, name, flowName, parameters, tags, created, expectedStartTime, file, pid, state: { type: "Pending", name: "Pending" }, runCount: 0, taskRunCounts: { total: 0, byState: {} } };
    } else if (event.e === "task_run") {
      this.tasksStarted++;
      if (this.run) this.counts().total = this.tasksStarted;
    } else if (event.e === "state") {
      const run = this.run;
      if (event.kind === "flow" && run && event.id === run.id) {
        run.state = { type: event.type, name: event.name, message: event.message };
        if (event.type === "Running" && !run.startTime) run.startTime = event.ts;
        if (isTerminal(event.type)) run.endTime = event.ts;
        if (event.runCount !== undefined) run.runCount = event.runCount;
      } else if (event.kind === "task" && isTerminal(event.type)) {
        this.tasksEnded++;
        if (run) {
          const byState = this.counts().byState;
          byState[event.type] = (byState[event.type] ?? 0) + 1;
        }
      }
    }
  }

  private counts(): FlowRun["taskRunCounts"] {
    return (this.run as FlowRun).taskRunCounts;
  }
}
