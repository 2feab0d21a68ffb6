import { formatLogLine, RunLabels } from "../shared/log-line";
import type { StoreService } from "./store-service";
import type { Uri, VSCode } from "./vscode-types";

// A run's stored logs as a read-only document (`flowline-logs:` URIs), so Show Logs on any run in the
// tree, including runs started in a terminal or long ago, opens them in an editor where they can be
// searched. The live logs of runs started here are in the Output channel.

export const LOGS_SCHEME = "flowline-logs";

export function logsUri(vscode: VSCode, flowRunId: string, title: string, taskRunId?: string): Uri {
  const query = new URLSearchParams({ flowRun: flowRunId, ...(taskRunId ? { taskRun: taskRunId } : {}) }).toString();
  return vscode.Uri.from({ scheme: LOGS_SCHEME, path: `/${title.replace(/[\\/]/g, "_")}.log`, query });
}

export function registerLogsDocuments(vscode: VSCode, store: StoreService): { dispose(): void } {
  return vscode.workspace.registerTextDocumentContentProvider(LOGS_SCHEME, {
    async provideTextDocumentContent(uri: Uri): Promise<string> {
      const params = new URLSearchParams(uri.query);
      const flowRunId = params.get("flowRun") ?? "";
      const taskRunId = params.get("taskRun") ?? undefined;
      const opened = await store.get();
      const detail = opened.getFlowRun(flowRunId);
      const labels = new RunLabels();
      labels.add("flow", detail.flowRun.id, detail.flowRun.name);
      for (const t of detail.taskRuns) labels.add("task", t.id, t.name);
      const lines = opened.getLogs({ flowRunId, taskRunId }).map((l) => formatLogLine({ level: l.level, message: l.message, ts: l.timestamp }, labels.of(l)));
      const head = `# Flow run '${detail.flowRun.name}' of flow '${detail.flowRun.flowName}': ${detail.flowRun.state.name}${detail.flowRun.state.message ? ` (${detail.flowRun.state.message})` : ""}`;
      return [head, ...(lines.length ? lines : ["(no log lines)"]), ""].join("\n");
    },
  });
}
