import * as path from "node:path";
import type { Disposable } from "./emitter";
import { errorHeadline } from "../shared/error-location";
import { runKey, type RunManager, type RunOutcome } from "./run-manager";
import type { VSCode } from "./vscode-types";

// Failures stay where they happened, as test extensions keep them: a failed run of a flow (its flow or a
// task's error, or a file that does not compile) puts a diagnostic on the user's line, in Problems and
// inline, until the next run of that flow completes. One per flow: a rerun replaces it.

type Collection = ReturnType<VSCode["languages"]["createDiagnosticCollection"]>;

export class RunDiagnostics implements Disposable {
  private readonly collection: Collection;
  /** The failure each flow (runKey) left, by the file it points at. */
  private readonly failures = new Map<string, { file: string; line: number; column: number; message: string }>();
  private readonly subscription: Disposable;

  constructor(
    private readonly vscode: VSCode,
    runs: RunManager,
  ) {
    this.collection = vscode.languages.createDiagnosticCollection("flowline");
    this.subscription = runs.onDidEnd(({ outcome }) => this.ended(outcome));
  }

  private ended(outcome: RunOutcome): void {
    const key = runKey(outcome.spec);
    const before = this.failures.get(key)?.file;
    const at = outcome.errorLocation;
    if (outcome.state.type === "Completed") this.failures.delete(key);
    else if ((outcome.state.type === "Failed" || outcome.state.type === "Crashed" || outcome.exitCode === 2) && at) {
      const why = errorHeadline(outcome.error, outcome.state.message ?? outcome.message ?? outcome.state.name);
      const what = outcome.exitCode === 2 ? `Flow '${outcome.spec.label}' could not start` : `Flow run '${outcome.flowRunName ?? "?"}' of '${outcome.spec.label}' ${outcome.state.name}`;
      this.failures.set(key, { file: path.resolve(at.file), line: at.line, column: at.column, message: `${what}: ${why}` });
    } else return;
    for (const file of new Set([before, this.failures.get(key)?.file])) if (file) this.show(file);
  }

  /** Sets a file's diagnostics from every flow's failure that points into it. */
  private show(file: string): void {
    const { Diagnostic, DiagnosticSeverity, Range, Uri } = this.vscode;
    const diagnostics = [...this.failures.values()]
      .filter((f) => f.file === file)
      .map((f) => {
        const line = Math.max(0, f.line - 1);
        const d = new Diagnostic(new Range(line, Math.max(0, f.column - 1), line, Number.MAX_SAFE_INTEGER), f.message, DiagnosticSeverity.Error);
        d.source = "Flowline";
        return d;
      });
    this.collection.set(Uri.file(file), diagnostics);
  }

  dispose(): void {
    this.subscription.dispose();
    this.collection.dispose();
  }
}
