import type { StoreService } from "./store-service";
import type { Uri, VSCode } from "./vscode-types";

// A run's stored logs as a read-only document (`flowline-logs:` URIs), so Show Logs on any run in the
// tree, including runs started in a terminal or long ago, opens them in an editor where they can be
// searched. The live logs of runs started here are in the Output channel. The text is made in the store's
// worker (logs-text.ts).

export const LOGS_SCHEME = "flowline-logs";

export function logsUri(vscode: VSCode, flowRunId: string, title: string, taskRunId?: string): Uri {
  const query = new URLSearchParams({ flowRun: flowRunId, ...(taskRunId ? { taskRun: taskRunId } : {}) }).toString();
  return vscode.Uri.from({ scheme: LOGS_SCHEME, path: `/${title.replace(/[\\/]/g, "_")}.log`, query });
}

export function registerLogsDocuments(vscode: VSCode, store: StoreService): { dispose(): void } {
  return vscode.workspace.registerTextDocumentContentProvider(LOGS_SCHEME, {
    async provideTextDocumentContent(uri: Uri): Promise<string> {
      const params = new URLSearchParams(uri.query);
      return (await store.get()).logsText(params.get("flowRun") ?? "", params.get("taskRun") ?? undefined);
    },
  });
}
