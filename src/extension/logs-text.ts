import { formatLogLine } from "../shared/log-line";
import type { StoreApi } from "../store/api";

// The text of a run's logs document (logs-document.ts), made in the store's worker thread: a run's log
// lines and the names of the task runs that wrote them are read and formatted there, so the extension
// host receives one string however big the run.

/** Task runs read a page at a time while looking for the names of those that logged. */
const NAME_PAGE = 1000;

export async function logsText(store: StoreApi, flowRunId: string, taskRunId?: string): Promise<string> {
  const { flowRun } = await store.getFlowRun(flowRunId, { taskLimit: 0 });
  const logs = await store.getLogs({ flowRunId: flowRun.id, taskRunId });
  const labels = new Map<string, string>([[flowRun.id, `Flow run '${flowRun.name}'`]]);
  // Only the task runs that logged are named; the pages stop once every one of them is found.
  const unnamed = new Set(logs.map((l) => l.taskRunId).filter((id): id is string => id !== undefined));
  for (let offset = 0; unnamed.size > 0 && offset < flowRun.taskRunCounts.total; offset += NAME_PAGE) {
    const page = await store.listTaskRuns(flowRun.id, { offset, limit: NAME_PAGE });
    if (page.length === 0) break;
    for (const t of page) if (unnamed.delete(t.id)) labels.set(t.id, `Task run '${t.name}'`);
  }
  const lines = logs.map((l) =>
    formatLogLine({ level: l.level, message: l.message, ts: l.timestamp }, (l.taskRunId && labels.get(l.taskRunId)) || (l.flowRunId && labels.get(l.flowRunId)) || "Flowline"),
  );
  const head = `# Flow run '${flowRun.name}' of flow '${flowRun.flowName}': ${flowRun.state.name}${flowRun.state.message ? ` (${flowRun.state.message})` : ""}`;
  return [head, ...(lines.length ? lines : ["(no log lines)"]), ""].join("\n");
}
