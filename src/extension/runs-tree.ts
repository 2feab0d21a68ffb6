import type { Artifact, FlowRun, Store, TaskRun } from "../store";
import { Emitter, type Disposable } from "./emitter";
import { dataTooltip, mdCode, mdText } from "./markdown-text";
import type { RunManager } from "./run-manager";
import { firstLine, isActiveState, relativeTime, runDuration, stateIcon, stateText } from "./runs-model";
import type { StoreService } from "./store-service";
import type { TreeDataProvider, TreeItem, VSCode } from "./vscode-types";

// The Flow Runs tree: flow runs newest first → their task runs and subflow runs (in the order they were
// created) → the artifacts they made. It reads the store and refreshes when the store says the database
// changed, whoever changed it. contextValue carries tags (`cancellable`, `result`, `rerunnable`) that the
// view/item/context menus in package.json match.

export type RunNode =
  | { kind: "flowRun"; run: FlowRun }
  | { kind: "taskRun"; run: TaskRun }
  | { kind: "artifact"; artifact: Artifact }
  | { kind: "message"; text: string; detail?: string };

export const OPEN_ARTIFACT_COMMAND = "flowline.openArtifact";

export class RunsTreeProvider implements TreeDataProvider<RunNode>, Disposable {
  private readonly changed = new Emitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: Disposable[] = [];
  /** Artifacts of the flow runs expanded since the last refresh, by task run (or "" for the flow run's own). */
  private artifacts = new Map<string, Map<string, Artifact[]>>();
  private canOpenArtifacts: Promise<boolean> | undefined;

  constructor(
    private readonly vscode: VSCode,
    private readonly store: StoreService,
    private readonly runs: RunManager,
    private readonly limit: () => number,
  ) {
    this.subscriptions.push(store.onDidChange(() => this.refresh()));
    // Cancel buttons follow the runs this window started.
    this.subscriptions.push(runs.onDidStart(() => this.refresh()), runs.onDidEnd(() => this.refresh()));
  }

  refresh(): void {
    this.artifacts.clear();
    this.changed.fire(undefined);
  }

  async getChildren(node?: RunNode): Promise<RunNode[]> {
    let store: Store | undefined;
    try {
      store = await this.store.peek();
    } catch (err) {
      return [{ kind: "message", text: "The Flowline database could not be opened", detail: err instanceof Error ? err.message : String(err) }];
    }
    if (!store) return [];
    try {
      if (!node) {
        const limit = this.limit();
        return store.listFlowRuns({ limit }).filter((r) => !r.parentFlowRunId).map((run) => ({ kind: "flowRun", run }));
      }
      if (node.kind === "flowRun") return this.flowRunChildren(store, node.run);
      if (node.kind === "taskRun") return (this.artifacts.get(node.run.flowRunId)?.get(node.run.id) ?? []).map((artifact) => ({ kind: "artifact", artifact }));
      return [];
    } catch (err) {
      return [{ kind: "message", text: "Could not read runs", detail: err instanceof Error ? err.message : String(err) }];
    }
  }

  private flowRunChildren(store: Store, run: FlowRun): RunNode[] {
    const detail = store.getFlowRun(run.id);
    const byTask = new Map<string, Artifact[]>();
    for (const artifact of store.listArtifacts({ flowRunId: run.id, includeData: false }).reverse()) {
      const key = artifact.taskRunId ?? "";
      byTask.set(key, [...(byTask.get(key) ?? []), artifact]);
    }
    this.artifacts.set(run.id, byTask);
    const children: Array<{ created: string; node: RunNode }> = [
      ...detail.taskRuns.map((t) => ({ created: t.created, node: { kind: "taskRun", run: t } as RunNode })),
      ...detail.subflowRuns.map((f) => ({ created: f.created, node: { kind: "flowRun", run: f } as RunNode })),
    ];
    children.sort((a, b) => a.created.localeCompare(b.created));
    return [...children.map((c) => c.node), ...(byTask.get("") ?? []).map((artifact) => ({ kind: "artifact", artifact }) as RunNode)];
  }

  async getParent(node: RunNode): Promise<RunNode | undefined> {
    const store = await this.store.peek();
    if (!store) return undefined;
    const parentId = node.kind === "flowRun" ? node.run.parentFlowRunId : node.kind === "taskRun" ? node.run.flowRunId : node.kind === "artifact" ? node.artifact.flowRunId : undefined;
    if (node.kind === "artifact" && node.artifact.taskRunId) {
      const task = store.getTaskRun(node.artifact.taskRunId);
      if (task) return { kind: "taskRun", run: task };
    }
    if (!parentId) return undefined;
    try {
      return { kind: "flowRun", run: store.getFlowRun(parentId).flowRun };
    } catch {
      return undefined;
    }
  }

  async getTreeItem(node: RunNode): Promise<TreeItem> {
    const vscode = this.vscode;
    const { TreeItem, TreeItemCollapsibleState: Collapsible, ThemeIcon, ThemeColor } = vscode;
    const icon = (id: string, color?: string) => new ThemeIcon(id, color ? new ThemeColor(color) : undefined);
    switch (node.kind) {
      case "flowRun": {
        const run = node.run;
        const item = new TreeItem(run.flowName, Collapsible.Collapsed);
        item.id = `flowRun:${run.id}`;
        const s = stateIcon(run.state);
        item.iconPath = icon(s.id, s.color);
        item.description = [run.name, stateText(run.state), runDuration(run), relativeTime(run.created)].filter(Boolean).join(" · ");
        item.tooltip = dataTooltip(vscode, runTooltip(run));
        const tags = ["flowRun"];
        if (this.runs.byFlowRunId(run.id)) tags.push("cancellable");
        if (run.resultKey) tags.push("result");
        if (run.file && !run.parentFlowRunId) tags.push("rerunnable");
        item.contextValue = tags.join(" ");
        item.accessibilityInformation = { label: `Flow run ${run.flowName} ${run.name}, ${run.state.name}` };
        return item;
      }
      case "taskRun": {
        const run = node.run;
        const hasArtifacts = (this.artifacts.get(run.flowRunId)?.get(run.id)?.length ?? 0) > 0;
        const item = new TreeItem(run.name, hasArtifacts ? Collapsible.Collapsed : Collapsible.None);
        item.id = `taskRun:${run.id}`;
        const s = stateIcon(run.state);
        item.iconPath = icon(s.id, s.color);
        item.description = [stateText(run.state), runDuration(run)].filter(Boolean).join(" · ");
        item.tooltip = dataTooltip(vscode, runTooltip(run));
        item.contextValue = run.resultKey ? "taskRun result" : "taskRun";
        item.accessibilityInformation = { label: `Task run ${run.name}, ${run.state.name}` };
        return item;
      }
      case "artifact": {
        const a = node.artifact;
        const item = new TreeItem(a.key ?? `${a.type} artifact`, Collapsible.None);
        item.id = `artifact:${a.id}`;
        item.iconPath = icon(ARTIFACT_ICONS[a.type] ?? "symbol-misc");
        item.description = [a.key ? a.type : "", relativeTime(a.created)].filter(Boolean).join(" · ");
        if (a.description) item.tooltip = dataTooltip(vscode, mdText(a.description));
        item.contextValue = "artifact";
        if (await this.artifactsCommandAvailable()) item.command = { command: OPEN_ARTIFACT_COMMAND, title: "Open Artifact", arguments: [a.id] };
        return item;
      }
      case "message": {
        const item = new TreeItem(node.text, Collapsible.None);
        item.iconPath = icon("warning", "problemsWarningIcon.foreground");
        item.tooltip = node.detail;
        item.description = node.detail ? firstLine(node.detail, 120) : undefined;
        return item;
      }
    }
  }

  /** Artifacts open in the panel of the Artifacts module when it is part of this build. */
  private artifactsCommandAvailable(): Promise<boolean> {
    this.canOpenArtifacts ??= Promise.resolve(this.vscode.commands.getCommands(true)).then((all) => all.includes(OPEN_ARTIFACT_COMMAND), () => false);
    return this.canOpenArtifacts;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

const ARTIFACT_ICONS: Record<string, string> = { table: "table", markdown: "markdown", link: "link", progress: "loading", image: "file-media" };

function runTooltip(run: FlowRun | TaskRun): string {
  // Markdown: two trailing spaces break a line; the parameters go in a fenced block of their own. Every
  // value is data and goes through mdText/mdCode (markdown-text.ts). JSON.stringify's lines start with
  // whitespace or a bracket, so they cannot close the fence.
  const lines = [`**${mdText("flowName" in run ? run.flowName : run.taskName)}** · ${mdCode(run.name)}`, `State: ${mdText(stateText(run.state))}`];
  if (run.startTime) lines.push(`Started: ${mdText(new Date(run.startTime).toLocaleString())}`);
  const duration = runDuration(run);
  if (duration) lines.push(`${run.endTime || !isActiveState(run.state.type) ? "Took" : "Running for"}: ${duration}`);
  if (run.resultKey) lines.push(`Result: ${mdCode(run.resultKey)}`);
  lines.push(`id ${mdCode(run.id)}`);
  let text = lines.join("  \n");
  if (run.parameters && typeof run.parameters === "object" && Object.keys(run.parameters).length > 0) {
    text += `\n\nParameters:\n\n\`\`\`json\n${JSON.stringify(run.parameters, null, 2).slice(0, 2000)}\n\`\`\`\n`;
  }
  return text;
}
