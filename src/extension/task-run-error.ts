import type { TaskRun } from "../store/types";
import { userErrorLocation } from "../shared/error-location";
import { goToLocation } from "./run-ui";
import { projectFile } from "./safe-paths";
import type { StoreService } from "./store-service";
import type { VSCode } from "./vscode-types";

// A click on a failed task run in the Flow Runs tree goes to its error's line, as Go to error does for a
// flow run: the trace the engine logged for it names the user's frame. The stored data may come from any
// home, so a file outside the project is refused, as Go to error refuses it.

export interface TaskRunErrorDeps {
  vscode: VSCode;
  store: StoreService;
  /** Where Flowline itself is installed: its frames are not the user's. */
  flowlineDirs: string[];
  projectFolders: () => string[];
}

/** Whether a task run's click goes to its error. */
export function hasError(run: Pick<TaskRun, "state">): boolean {
  return run.state.type === "Failed" || run.state.type === "Crashed";
}

export async function goToTaskRunError(deps: TaskRunErrorDeps, run: TaskRun): Promise<void> {
  const { window } = deps.vscode;
  const store = await deps.store.get();
  const [{ flowRun }, logs] = await Promise.all([store.getFlowRun(run.flowRunId, { taskLimit: 0 }), store.getLogs({ flowRunId: run.flowRunId, taskRunId: run.id })]);
  const trace = logs.map((l) => l.message).find((m) => /\n\s+at /.test(m));
  const at = flowRun.file ? userErrorLocation(trace, flowRun.file, deps.flowlineDirs) : undefined;
  if (!at) {
    void window.showInformationMessage(`Flowline: task run '${run.name}' ${run.state.name}${run.state.message ? `: ${run.state.message}` : ""}. Its error names no line of your code.`);
    return;
  }
  const file = projectFile(at.file, deps.projectFolders(), "The file of the error");
  if ("refused" in file) void window.showErrorMessage(`Flowline: not going to the error: ${file.refused}`);
  else await goToLocation(deps.vscode, at);
}
