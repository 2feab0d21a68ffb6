import * as path from "node:path";
import type { Disposable } from "./emitter";
import { errorHeadline } from "../shared/error-location";
import type { ActiveRun, RunManager, RunOutcome } from "./run-manager";
import { endedSummary, progressText, stateGlyph } from "./runs-model";
import { projectFile } from "./safe-paths";
import type { Settings } from "./settings";
import type { LogOutputChannel, StatusBarItem, VSCode } from "./vscode-types";

// What a run shows while it goes and when it ends: a status bar item (click: cancel), a progress
// notification with a Cancel button, the Output channel, and for a failed run its error with a link to
// the user's line ("Go to error").

export class RunUi implements Disposable {
  private readonly status: StatusBarItem;
  private readonly subscriptions: Disposable[] = [];
  private readonly progress = new Map<number, (message: string) => void>();
  private clearStatus: NodeJS.Timeout | undefined;

  constructor(
    private readonly vscode: VSCode,
    private readonly runs: RunManager,
    private readonly output: LogOutputChannel,
    private readonly settings: () => Settings,
    /** Where "Go to error" may open a file (see safe-paths.ts). */
    private readonly projectFolders: () => string[],
    /** What revealing the Output waits for when a run starts: its row in the Flow Runs tree (flowline-extension.ts). */
    private readonly rowShown: (run: ActiveRun) => Promise<void> = async () => undefined,
  ) {
    this.status = vscode.window.createStatusBarItem("flowline.runs", vscode.StatusBarAlignment.Left, 10);
    this.status.name = "Flowline Runs";
    this.subscriptions.push(
      this.status,
      runs.onDidStart((run) => this.started(run)),
      runs.onDidChange((run) => this.changed(run)),
      runs.onDidEnd(({ run, outcome }) => this.ended(run, outcome)),
    );
  }

  private started(run: ActiveRun): void {
    if (this.settings().revealOutput === "always") void this.rowShown(run).then(() => this.output.show(true));
    this.updateStatus();
    if (!this.settings().showProgressNotification) return;
    const { window, ProgressLocation } = this.vscode;
    void window.withProgress(
      { location: ProgressLocation.Notification, title: `Flowline: ${run.spec.label}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => run.cancel());
        this.progress.set(run.id, (message) => progress.report({ message }));
        progress.report({ message: "starting…" });
        return run.done.then(() => undefined, () => undefined);
      },
    );
  }

  private changed(run: ActiveRun): void {
    this.progress.get(run.id)?.(progressText(run));
    this.updateStatus();
  }

  private ended(run: ActiveRun, outcome: RunOutcome): void {
    this.progress.delete(run.id);
    this.updateStatus(outcome);
    const { window } = this.vscode;
    const name = outcome.flowRunName ? `'${outcome.flowRunName}' of flow '${run.spec.label}'` : `of flow '${run.spec.label}'`;
    if (outcome.exitCode === 2) {
      const actions = outcome.errorLocation ? ["Go to error", "Show Logs"] : ["Show Logs"];
      void this.offer(window.showErrorMessage(`Flowline: flow '${run.spec.label}' could not start: ${outcome.message ?? "unknown reason"}`, ...actions), outcome);
      return;
    }
    if (outcome.state.type === "Failed" || outcome.state.type === "Crashed") {
      if (this.settings().revealOutput === "onFailure") this.output.show(true);
      const why = errorHeadline(outcome.error, outcome.state.message ?? outcome.message ?? "");
      const where = outcome.errorLocation ? ` (${path.basename(outcome.errorLocation.file)}:${outcome.errorLocation.line})` : "";
      const actions = outcome.errorLocation ? ["Go to error", "Show Logs"] : ["Show Logs"];
      void this.offer(window.showErrorMessage(`Flow run ${name} ${outcome.state.name}: ${why}${where}`, ...actions), outcome);
    }
  }

  private async offer(choice: Thenable<string | undefined>, outcome: RunOutcome): Promise<void> {
    const picked = await choice;
    if (picked === "Show Logs") this.output.show(false);
    if (picked === "Go to error" && outcome.errorLocation) {
      // The stack is the flow's to write: its own file opens, any other only from inside the project.
      const at = outcome.errorLocation;
      const file = path.resolve(at.file) === path.resolve(outcome.spec.file) ? { path: at.file } : projectFile(at.file, this.projectFolders(), "The file of the error");
      if ("refused" in file) void this.vscode.window.showErrorMessage(`Flowline: not going to the error: ${file.refused}`);
      else await goToLocation(this.vscode, at);
    }
  }

  private updateStatus(ended?: RunOutcome): void {
    const active = this.runs.active();
    if (this.clearStatus) clearTimeout(this.clearStatus);
    if (active.length > 0) {
      const run = active[active.length - 1];
      this.status.text = active.length === 1 ? `$(sync~spin) ${run.spec.label}: ${progressText(run)}` : `$(sync~spin) ${active.length} flow runs`;
      this.status.tooltip = "Flowline: click to cancel";
      this.status.command = { command: "flowline.cancelFlowRun", title: "Cancel Flow Run", arguments: active.length === 1 ? [{ runId: run.id }] : [] };
      this.status.show();
    } else if (ended) {
      // How the last run ended, for a few seconds.
      this.status.text = `${stateGlyph(ended.state)} ${ended.spec.label}: ${endedSummary(ended)}`;
      this.status.tooltip = "Flowline: show logs";
      this.status.command = "flowline.showLogs";
      this.status.show();
      this.clearStatus = setTimeout(() => this.status.hide(), 8000);
    } else this.status.hide();
  }

  dispose(): void {
    if (this.clearStatus) clearTimeout(this.clearStatus);
    for (const s of this.subscriptions) s.dispose();
  }
}

export async function goToLocation(vscode: VSCode, at: { file: string; line: number; column: number }): Promise<void> {
  const position = new vscode.Position(Math.max(0, at.line - 1), Math.max(0, at.column - 1));
  await vscode.window.showTextDocument(vscode.Uri.file(at.file), { selection: new vscode.Range(position, position) });
}
