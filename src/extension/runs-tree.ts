import type { StateType } from "../shared/events";
import type { Artifact, FlowRun, TaskRun } from "../store/types";
import { Emitter, Throttle, type Disposable } from "./emitter";
import { dataTooltip, mdCode, mdText } from "./markdown-text";
import type { RunManager } from "./run-manager";
import { firstLine, isActiveState, relativeTime, runDuration, stateIcon, stateText } from "./runs-model";
import type { ExtensionStore } from "./store-extras";
import { TreeReads } from "./tree-click";
import type { StoreService } from "./store-service";
import type { TreeDataProvider, TreeItem, VSCode } from "./vscode-types";

// The Flow Runs tree: flow runs newest first → their task runs and subflow runs (in the order they were
// created) → the artifacts they made. A flow run lists its first 100 task runs and a "Show 100 more…"
// item (a run can have a million); its subflow runs are all listed. It reads the store (in its worker)
// and refreshes when the store says the database changed, whoever changed it. contextValue carries tags
// (`cancellable`, `result`, `rerunnable`) that the view/item/context menus in package.json match.

export type RunNode =
  | { kind: "flowRun"; run: FlowRun }
  | { kind: "taskRun"; run: TaskRun }
  | { kind: "artifact"; artifact: Artifact }
  | { kind: "more"; flowRunId: string; shown: number; total: number }
  | { kind: "message"; text: string; detail?: string };

export const OPEN_ARTIFACT_COMMAND = "flowline.openArtifact";
/** The "Show 100 more…" item's command (arguments: the flow run's id). */
export const SHOW_MORE_TASK_RUNS_COMMAND = "flowline.showMoreTaskRuns";
/** An item's click (no arguments: tree-click.ts says why). */
export const RUNS_CLICK_COMMAND = "flowline.runs.openItem";
const REFRESH_MS = 300;
/** Task runs listed under a flow run at first, and added by each "Show 100 more…". */
export const TASK_RUN_PAGE = 100;

const ENDED: StateType[] = ["Completed", "Failed", "Crashed", "Cancelled"];

export class RunsTreeProvider implements TreeDataProvider<RunNode>, Disposable {
  private readonly changed = new Emitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: Disposable[] = [];
  /** A run changes the store several times a second: the tree is read again at most every REFRESH_MS. */
  private readonly refreshes = new Throttle(REFRESH_MS, () => {
    this.artifacts.clear();
    this.changed.fire(undefined);
  });
  /** Artifacts of the flow runs expanded since the last refresh, by task run (or "" for the flow run's own). */
  private artifacts = new Map<string, Map<string, Artifact[]>>();
  /** How many task runs each flow run lists (its "Show 100 more…" clicks), by flow run id. */
  private readonly pages = new Map<string, number>();
  private canOpenArtifacts: Promise<boolean> | undefined;
  readonly reads = new TreeReads();

  constructor(
    private readonly vscode: VSCode,
    private readonly store: StoreService,
    private readonly runs: RunManager,
    private readonly limit: () => number,
  ) {
    this.subscriptions.push(store.onDidChange(() => this.refresh()), this.refreshes);
    // Cancel buttons follow the runs this window started.
    this.subscriptions.push(runs.onDidStart(() => this.refresh()), runs.onDidEnd(() => this.refresh()));
    this.subscriptions.push(vscode.commands.registerCommand(SHOW_MORE_TASK_RUNS_COMMAND, (flowRunId: unknown) => typeof flowRunId === "string" && this.showMore(flowRunId)));
  }

  /** Lists the next TASK_RUN_PAGE task runs of a flow run (at once: the user asked). */
  showMore(flowRunId: string): void {
    this.pages.set(flowRunId, this.taskRunsShown(flowRunId) + TASK_RUN_PAGE);
    this.refreshes.now();
  }

  private taskRunsShown(flowRunId: string): number {
    return this.pages.get(flowRunId) ?? TASK_RUN_PAGE;
  }

  /**
   * The node of a flow run, or of one of its task runs, for TreeView.reveal: a task run beyond the pages
   * listed makes its flow run list enough pages to show it.
   */
  async nodeFor(flowRunId: string, taskRunId?: string): Promise<RunNode> {
    const store = await this.store.get();
    const detail = await store.getFlowRun(flowRunId, { taskLimit: this.taskRunsShown(flowRunId) });
    if (!taskRunId) return { kind: "flowRun", run: detail.flowRun };
    let task = detail.taskRuns.find((t) => t.id === taskRunId);
    if (!task) {
      const index = await store.taskRunIndex(detail.flowRun.id, taskRunId);
      task = index < 0 ? undefined : await store.getTaskRun(detail.flowRun.id, taskRunId);
      if (task) this.pages.set(detail.flowRun.id, Math.ceil((index + 1) / TASK_RUN_PAGE) * TASK_RUN_PAGE);
    }
    return task ? { kind: "taskRun", run: task } : { kind: "flowRun", run: detail.flowRun };
  }

  /** Reads the tree again soon (at most every REFRESH_MS). */
  refresh(): void {
    this.refreshes.schedule();
  }

  getChildren(node?: RunNode): Promise<RunNode[]> {
    return this.reads.track(this.children(node));
  }

  /** What a click on an item does: open its artifact, or list more task runs. */
  async click(node: RunNode): Promise<void> {
    if (node.kind === "artifact") await this.vscode.commands.executeCommand(OPEN_ARTIFACT_COMMAND, node.artifact.id);
    else if (node.kind === "more") this.showMore(node.flowRunId);
  }

  private async children(node?: RunNode): Promise<RunNode[]> {
    let store: ExtensionStore | undefined;
    try {
      store = await this.store.peek();
    } catch (err) {
      return [{ kind: "message", text: "The Flowline database could not be opened", detail: err instanceof Error ? err.message : String(err) }];
    }
    if (!store) return [];
    try {
      if (!node) {
        const limit = this.limit();
        return (await store.listFlowRuns({ limit, topLevel: true })).map((run) => ({ kind: "flowRun", run }));
      }
      if (node.kind === "flowRun") return await this.flowRunChildren(store, node.run);
      if (node.kind === "taskRun") return (this.artifacts.get(node.run.flowRunId)?.get(node.run.id) ?? []).map((artifact) => ({ kind: "artifact", artifact }));
      return [];
    } catch (err) {
      return [{ kind: "message", text: "Could not read runs", detail: err instanceof Error ? err.message : String(err) }];
    }
  }

  private async flowRunChildren(store: ExtensionStore, run: FlowRun): Promise<RunNode[]> {
    const detail = await store.getFlowRun(run.id, { taskLimit: this.taskRunsShown(run.id) });
    const byTask = new Map<string, Artifact[]>();
    // Only the artifacts of the task runs listed (and the flow run's own) cross from the worker.
    for (const artifact of (await store.runArtifacts(run.id, detail.taskRuns.map((t) => t.id))).reverse()) {
      const key = artifact.taskRunId ?? "";
      const list = byTask.get(key);
      if (list) list.push(artifact);
      else byTask.set(key, [artifact]);
    }
    this.artifacts.set(run.id, byTask);
    const children: Array<{ created: string; node: RunNode }> = [
      ...detail.taskRuns.map((t) => ({ created: t.created, node: { kind: "taskRun", run: t } as RunNode })),
      ...detail.subflowRuns.map((f) => ({ created: f.created, node: { kind: "flowRun", run: f } as RunNode })),
    ];
    children.sort((a, b) => a.created.localeCompare(b.created));
    const nodes = children.map((c) => c.node);
    const { total } = detail.flowRun.taskRunCounts;
    if (total > detail.taskRuns.length) {
      // Right after the last task run listed: the next page continues from there.
      let last = -1;
      nodes.forEach((n, i) => n.kind === "taskRun" && (last = i));
      nodes.splice(last + 1, 0, { kind: "more", flowRunId: run.id, shown: detail.taskRuns.length, total });
    }
    return [...nodes, ...(byTask.get("") ?? []).map((artifact) => ({ kind: "artifact", artifact }) as RunNode)];
  }

  async getParent(node: RunNode): Promise<RunNode | undefined> {
    const store = await this.store.peek();
    if (!store) return undefined;
    const parentId =
      node.kind === "flowRun" ? node.run.parentFlowRunId : node.kind === "taskRun" ? node.run.flowRunId : node.kind === "artifact" ? node.artifact.flowRunId : node.kind === "more" ? node.flowRunId : undefined;
    if (!parentId) return undefined;
    try {
      if (node.kind === "artifact" && node.artifact.taskRunId) {
        const task = await store.getTaskRun(parentId, node.artifact.taskRunId);
        if (task) return { kind: "taskRun", run: task };
      }
      return { kind: "flowRun", run: (await store.getFlowRun(parentId, { taskLimit: 0 })).flowRun };
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
        item.description = [run.name, stateText(run.state), runDuration(run), taskRunsDone(run), relativeTime(run.created)].filter(Boolean).join(" · ");
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
        item.contextValue = "artifact";
        if (await this.artifactsCommandAvailable()) item.command = { command: RUNS_CLICK_COMMAND, title: "Open Artifact" };
        return item;
      }
      case "more": {
        const item = new TreeItem(`Show ${Math.min(TASK_RUN_PAGE, node.total - node.shown)} more…`, Collapsible.None);
        item.id = `more:${node.flowRunId}`;
        item.iconPath = icon("ellipsis");
        item.description = `${node.shown} of ${node.total} task runs listed`;
        item.command = { command: RUNS_CLICK_COMMAND, title: "Show More Task Runs" };
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

  /**
   * Tooltips are made when hovered, not with every item: VS Code parses each markdown tooltip on the
   * extension host's thread, and a tree refreshing as a run goes would parse a hundred a time.
   */
  resolveTreeItem(item: TreeItem, node: RunNode): TreeItem {
    if (node.kind === "flowRun" || node.kind === "taskRun") item.tooltip = dataTooltip(this.vscode, runTooltip(node.run));
    else if (node.kind === "artifact" && node.artifact.description) item.tooltip = dataTooltip(this.vscode, mdText(node.artifact.description));
    return item;
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

/** One formatter for every count: Number#toLocaleString builds one a call (a profile of a tree refresh showed it). */
const COUNT = new Intl.NumberFormat("en");

/** "12 of 250 task runs done" (task runs that ended, in any state), or "" without task runs. */
export function taskRunsDone(run: Pick<FlowRun, "taskRunCounts">): string {
  const { total, byState } = run.taskRunCounts;
  if (total === 0) return "";
  const done = ENDED.reduce((n, type) => n + (byState[type] ?? 0), 0);
  return `${COUNT.format(done)} of ${COUNT.format(total)} task ${total === 1 ? "run" : "runs"} done`;
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
