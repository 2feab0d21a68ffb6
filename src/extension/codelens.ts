import { isFlowSourceFile, readFlows, type FoundFlow } from "./flow-finder";
import { Emitter, type Disposable } from "./emitter";
import type { RunManager, RunTarget } from "./run-manager";
import { endedSummary, progressText, stateGlyph } from "./runs-model";
import type { CodeLens, CodeLensProvider, TextDocument, VSCode } from "./vscode-types";

// `▶ Run flow` and `Run with parameters…` above every flow definition; while it runs, its state and
// `■ Cancel`; after, how it ended. Flows are found statically (flow-finder), once per document version;
// their parameters are asked of a flow process only when Run with parameters… is clicked.

/** What a lens hands the run commands: the flow; its parameters are asked of its flow process when needed. */
export type FlowLensArgs = RunTarget;

export class FlowCodeLensProvider implements CodeLensProvider, Disposable {
  private readonly changed = new Emitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, { version: number; flows: FoundFlow[] }>();
  private readonly subscriptions: Disposable[] = [];
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly vscode: VSCode,
    private readonly runs: RunManager,
    private readonly enabled: () => boolean,
  ) {
    this.subscriptions.push(
      runs.onDidStart(() => this.refresh()),
      runs.onDidEnd(() => this.refresh()),
      // Progress within a run: at most a few lens updates a second.
      runs.onDidChange(() => {
        this.pending ??= setTimeout(() => {
          this.pending = undefined;
          this.refresh();
        }, 300);
      }),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  /** Flows of a document, parsed once per version; a version being typed that cannot be read keeps the last ones. */
  flowsOf(document: Pick<TextDocument, "uri" | "version" | "getText" | "fileName">): FoundFlow[] {
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === document.version) return hit.flows;
    const flows = readFlows(document.getText(), document.fileName) ?? hit?.flows ?? [];
    this.cache.set(key, { version: document.version, flows });
    if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value as string);
    return flows;
  }

  forget(document: Pick<TextDocument, "uri">): void {
    this.cache.delete(document.uri.toString());
  }

  provideCodeLenses(document: TextDocument): CodeLens[] {
    if (!this.enabled() || document.uri.scheme !== "file" || !isFlowSourceFile(document.fileName)) return [];
    const { CodeLens, Range } = this.vscode;
    const lenses: CodeLens[] = [];
    for (const flow of this.flowsOf(document)) {
      const range = new Range(flow.line, flow.character, flow.line, flow.character);
      const args: FlowLensArgs = { file: document.fileName, target: flow.target, label: flow.label, ...(flow.detail ? { detail: flow.detail } : {}) };
      if (!this.vscode.workspace.isTrusted) {
        lenses.push(new CodeLens(range, { title: "$(shield) Flowline: trust this workspace to run flows", command: "workbench.trust.manage", tooltip: "Flows are code from this workspace; Restricted Mode does not run them." }));
        continue;
      }
      const active = this.runs.activeFor(args);
      if (active) {
        const title = `$(sync~spin) ${active.flowRunName ? `${active.flowRunName} · ` : ""}${progressText(active)}`;
        lenses.push(new CodeLens(range, { title, command: "flowline.showLogs", tooltip: "Show the live logs" }));
        lenses.push(new CodeLens(range, { title: "■ Cancel", command: "flowline.cancelFlowRun", arguments: [{ runId: active.id }], tooltip: `Cancel flow '${flow.label}'` }));
        continue;
      }
      lenses.push(new CodeLens(range, { title: "▶ Run flow", command: "flowline.runFlow", arguments: [args], tooltip: `Run flow '${flow.label}'${flow.detail ? ` (${flow.detail})` : ""}` }));
      lenses.push(new CodeLens(range, { title: "▶ Debug flow", command: "flowline.debugFlow", arguments: [args], tooltip: `Run flow '${flow.label}' under the JavaScript debugger: breakpoints in its .ts stop there` }));
      lenses.push(new CodeLens(range, { title: "Run with parameters…", command: "flowline.runFlowWithParameters", arguments: [args], tooltip: `Run flow '${flow.label}' with parameters you enter` }));
      const last = this.runs.lastOutcome(args);
      if (last) {
        const title = `${stateGlyph(last.state)} ${endedSummary(last)}`;
        lenses.push(new CodeLens(range, { title, command: "flowline.showLogs", tooltip: last.state.message ?? `The last run ended ${last.state.name}` }));
      }
    }
    // The user is looking at a flow they may run: have its process started ahead (flowline.warmStart).
    if (lenses.length > 0 && this.vscode.workspace.isTrusted) this.runs.warmUp(document.fileName);
    return lenses;
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
