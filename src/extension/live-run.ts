import type { LiveMessage } from "../runner/protocol";
import { isTerminal } from "../shared/events";
import type { FlowRun } from "../store/types";

// A flow run as its own process reports it, report by report, before the store has folded anything: the
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

  /** Takes in one report of the flow process (src/runner/live.ts): flow runs, their states, task-run counts. */
  see(message: LiveMessage): void {
    for (const f of message.flowRuns ?? []) {
      if (this.run || f.parentFlowRunId) continue;
      const { id, name, flowName, created, expectedStartTime, file, pid } = f;
      const parameters = (f.parameters ?? {}) as Record<string, unknown>;
      this.run = { id, name, flowName, parameters, tags: f.tags, created, expectedStartTime, file, pid, state: { type: "Pending", name: "Pending" }, runCount: 0, taskRunCounts: { total: 0, byState: {} } };
    }
    const run = this.run;
    const state = run && message.flowStates?.find((s) => s.id === run.id);
    if (run && state) {
      run.state = { type: state.type, name: state.name, message: state.message };
      if (state.startTime) run.startTime = state.startTime;
      if (isTerminal(state.type)) run.endTime = state.ts;
      if (state.runCount !== undefined) run.runCount = state.runCount;
    }
    const counts = message.taskRuns;
    this.tasksStarted = counts.created;
    this.tasksEnded = counts.Completed + counts.Failed + counts.Crashed + counts.Cancelled;
    if (run) {
      const byState: FlowRun["taskRunCounts"]["byState"] = {};
      for (const type of ["Completed", "Failed", "Crashed", "Cancelled"] as const) if (counts[type] > 0) byState[type] = counts[type];
      run.taskRunCounts = { total: counts.created, byState };
    }
  }
}
