import { compareText } from "../shared/events";
import type { Artifact, FlowRun, TaskRun } from "../store/types";
import { artifactIcon } from "./artifacts/present";
import { Emitter, Throttle, type Disposable } from "./emitter";
import { dataTooltip, mdCode, mdText } from "./markdown-text";
import type { RunManager } from "./run-manager";
import { firstLine, isActiveState, relativeTime, runDuration, runSummary, stateIcon, stateText } from "./runs-model";
import type { ExtensionStore } from "./store-extras";
import { hasError } from "./task-run-error";
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

export { taskRunsDone } from "./runs-model";

export const OPEN_ARTIFACT_COMMAND = "flowline.openArtifact";
/** The "Show 100 more…" item's command (arguments: the flow run's id). */
export const SHOW_MORE_TASK_RUNS_COMMAND = "flowline.showMoreTaskRuns";
/** An item's click (no arguments: tree-click.ts says why). */
export const RUNS_CLICK_COMMAND = "flowline.runs.openItem";
/**
 * VS Code reads a tree again 200 ms after the last of a burst of change events (ExtHostTreeView debounces
 * them, restarting its timer with each): events closer together than that, as a running flow's reports
 * are, would hold every refresh back until they stop. The tree says it changed at most every CHANGE_MS.
 */
const CHANGE_MS = 250;
/** How long the top level waits for the store while a run of this window goes (roots()). */
const LIVE_WAIT_MS = 150;
/** How long VS Code is given to draw a row after the top level listed it (see listed()). */
const DRAW_MS = 150;
/** Task runs listed under a flow run at first, and added by each "Show 100 more…". */
export const TASK_RUN_PAGE = 100;

export class RunsTreeProvider implements TreeDataProvider<RunNode>, Disposable {
  private readonly changed = new Emitter<RunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: Disposable[] = [];
  /** Store changes and a run's reports come several times a second: the tree is read again at most every CHANGE_MS. */
  private readonly changes = new Throttle(CHANGE_MS, () => {
    if (this.storeChanged) this.artifacts.clear();
    this.storeChanged = false;
    this.changed.fire(undefined);
  });
  /** Whether the next change event follows the store (the artifacts read with expanded rows are stale). */
  private storeChanged = false;
  /** The top-level flow runs the store listed last. */
  private lastListed: FlowRun[] | undefined;
  /** The children each flow run row showed last (see quickly). */
  private readonly lastChildren = new Map<string, RunNode[]>();
  /** Artifacts of the flow runs expanded since the last refresh, by task run (or "" for the flow run's own). */
  private artifacts = new Map<string, Map<string, Artifact[]>>();
  /** How many task runs each flow run lists (its "Show 100 more…" clicks), by flow run id. */
  private readonly pages = new Map<string, number>();
  private canOpenArtifacts: Promise<boolean> | undefined;
  readonly reads = new TreeReads();
  /** Who waits for a run of this window to be listed (listed()), by the run's id. */
  private readonly listing = new Map<number, Array<() => void>>();

  constructor(
    private readonly vscode: VSCode,
    private readonly store: StoreService,
    private readonly runs: RunManager,
    private readonly limit: () => number,
    /** Goes to a failed task run's error line (a click on it). */
    private readonly openError?: (run: TaskRun) => Promise<void>,
  ) {
    this.subscriptions.push(store.onDidChange(() => this.refresh()), this.changes);
    // Cancel buttons and live states follow the runs this window started, as soon as the throttle allows.
    this.subscriptions.push(
      runs.onDidStart(() => this.changes.soon()),
      runs.onDidEnd(() => this.refresh()),
      runs.onDidChange(() => this.changes.soon()),
    );
    this.subscriptions.push(vscode.commands.registerCommand(SHOW_MORE_TASK_RUNS_COMMAND, (flowRunId: unknown) => typeof flowRunId === "string" && this.showMore(flowRunId)));
  }

  /** Lists the next TASK_RUN_PAGE task runs of a flow run (at once, unless the tree has just changed). */
  showMore(flowRunId: string): void {
    this.pages.set(flowRunId, this.taskRunsShown(flowRunId) + TASK_RUN_PAGE);
    this.storeChanged = true;
    this.changes.soon();
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

  /**
   * Resolves once the top level has listed a run of this window as its process reported it (Running, not
   * "starting…") and VS Code has had DRAW_MS to draw the row, or after `timeoutMs` (a process slow to
   * start, a view that is not asked for its items). What else a run's start shows in the workbench waits
   * for this: opening the Output panel holds the workbench's thread for up to a second in code-server, and
   * the row would wait behind it.
   */
  listed(runId: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.listing.delete(runId), resolve()), timeoutMs);
      this.listing.set(runId, [...(this.listing.get(runId) ?? []), () => (clearTimeout(timer), resolve())]);
    });
  }

  /** Reads the tree, and the artifacts under its rows, again soon (at most every CHANGE_MS). */
  refresh(): void {
    this.storeChanged = true;
    this.changes.schedule();
  }

  getChildren(node?: RunNode): Promise<RunNode[]> {
    return this.reads.track(this.children(node));
  }

  /** What a click on an item does: open its artifact, or list more task runs. */
  async click(node: RunNode): Promise<void> {
    if (node.kind === "artifact") await this.vscode.commands.executeCommand(OPEN_ARTIFACT_COMMAND, node.artifact.id);
    else if (node.kind === "taskRun" && this.openError && hasError(node.run)) await this.openError(node.run);
    else if (node.kind === "more") this.showMore(node.flowRunId);
  }

  /**
   * The top-level flow runs. While a run of this window goes, the store's worker may be busy folding that
   * very run's journal for seconds: after LIVE_WAIT_MS the runs last listed are shown with the live states,
   * and the tree reads again once the store answers.
   */
  private async roots(): Promise<RunNode[]> {
    const shown = this.lastListed;
    const read = this.listRoots();
    try {
      if (!shown || this.runs.active().length === 0) return this.withLive(await read);
      const quick = await Promise.race([read, new Promise<undefined>((resolve) => setTimeout(resolve, LIVE_WAIT_MS))]);
      if (quick) return this.withLive(quick);
      // Read again once the store answers, if it says something new (else reads would follow reads).
      void read.then((listed) => JSON.stringify(listed) !== JSON.stringify(shown) && this.changes.schedule(), () => undefined);
      return this.withLive(shown);
    } catch (err) {
      const text = err instanceof StoreOpenError ? "The Flowline database could not be opened" : "Could not read runs";
      return [{ kind: "message", text, detail: err instanceof Error ? err.message : String(err) }];
    }
  }

  private async listRoots(): Promise<FlowRun[]> {
    let store: ExtensionStore | undefined;
    try {
      store = await this.store.peek();
    } catch (err) {
      throw new StoreOpenError(err instanceof Error ? err.message : String(err));
    }
    this.lastListed = store ? await store.listFlowRuns({ limit: this.limit(), topLevel: true }) : [];
    return this.lastListed;
  }

  private async children(node?: RunNode): Promise<RunNode[]> {
    if (!node) return this.roots();
    let store: ExtensionStore | undefined;
    try {
      store = await this.store.peek();
    } catch (err) {
      return [{ kind: "message", text: "The Flowline database could not be opened", detail: err instanceof Error ? err.message : String(err) }];
    }
    if (!store) return [];
    try {
      // A run reported by its process but not folded yet has nothing stored under it.
      if (node.kind === "flowRun") {
        const read = this.flowRunChildren(store, node.run).catch((err: unknown) => (this.runs.byFlowRunId(node.run.id) || node.run.id.startsWith("starting-") ? [] : Promise.reject(err)));
        return await this.quickly(`flowRun:${node.run.id}`, read);
      }
      if (node.kind === "taskRun") return (this.artifacts.get(node.run.flowRunId)?.get(node.run.id) ?? []).map((artifact) => ({ kind: "artifact", artifact }));
      return [];
    } catch (err) {
      return [{ kind: "message", text: "Could not read runs", detail: err instanceof Error ? err.message : String(err) }];
    }
  }

  /**
   * VS Code redraws a refreshed tree once every expanded row has its children again. While a run of this
   * window goes, the store's worker may be busy folding its journal for seconds: after LIVE_WAIT_MS an
   * expanded row keeps the children it showed last, so a new run's row is not held back, and the tree reads
   * again once the store has answered.
   */
  private async quickly(key: string, read: Promise<RunNode[]>): Promise<RunNode[]> {
    const shown = this.lastChildren.get(key);
    const remember = (nodes: RunNode[]) => (this.lastChildren.set(key, nodes), nodes);
    if (!shown || this.runs.active().length === 0) return remember(await read);
    const quick = await Promise.race([read, new Promise<undefined>((resolve) => setTimeout(resolve, LIVE_WAIT_MS))]);
    if (quick) return remember(quick);
    // Read again once the store answers, if it says something new (else reads would follow reads).
    void read.then((nodes) => {
      remember(nodes);
      if (JSON.stringify(nodes) !== JSON.stringify(shown)) this.changes.schedule();
    }, () => undefined);
    return shown;
  }

  /**
   * The listed flow runs with this window's running ones as their processes report them (run-manager
   * pushes each report): a run shows Running before the store has folded anything, and shows the same
   * state, counter and duration as the lens and the status bar.
   */
  private withLive(listed: FlowRun[]): RunNode[] {
    const live = new Map<string, FlowRun>();
    for (const run of this.runs.active()) {
      // Before its process has created the flow run, the click still shows at once: the run is starting.
      const snapshot = run.live.snapshot ?? startingRun(run.id, run.spec.label, run.startedAt);
      live.set(snapshot.id, snapshot);
    }
    const nodes: RunNode[] = listed.map((run) => {
      const reported = live.get(run.id);
      live.delete(run.id);
      return { kind: "flowRun", run: reported ? { ...run, state: reported.state, startTime: reported.startTime ?? run.startTime, endTime: reported.endTime ?? run.endTime, taskRunCounts: reported.taskRunCounts } : run };
    });
    const fresh: RunNode[] = [...live.values()].reverse().map((run) => ({ kind: "flowRun", run }));
    for (const run of this.runs.active()) {
      if (!run.live.snapshot) continue;
      const waiters = this.listing.get(run.id);
      this.listing.delete(run.id);
      if (waiters) setTimeout(() => waiters.forEach((w) => w()), DRAW_MS);
    }
    return [...fresh, ...nodes];
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
    children.sort((a, b) => compareText(a.created, b.created));
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
        item.description = [run.name, runSummary(run), relativeTime(run.created)].filter(Boolean).join(" · ");
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
        if (this.openError && hasError(run)) item.command = { command: RUNS_CLICK_COMMAND, title: "Go to Error" };
        return item;
      }
      case "artifact": {
        const a = node.artifact;
        const item = new TreeItem(a.key ?? `${a.type} artifact`, Collapsible.None);
        item.id = `artifact:${a.id}`;
        item.iconPath = icon(artifactIcon(a.type));
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

class StoreOpenError extends Error {}

/** The row of a run whose process has not created its flow run yet. */
function startingRun(runId: number, flowName: string, startedAt: number): FlowRun {
  const created = new Date(startedAt).toISOString();
  return { id: `starting-${runId}`, name: "starting…", flowName, parameters: {}, tags: [], created, state: { type: "Pending", name: "Pending" }, runCount: 0, taskRunCounts: { total: 0, byState: {} } };
}


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
