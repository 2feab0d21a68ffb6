import type { Event, TreeDataProvider, TreeItem } from "../vscode-types";
import type { Artifact, ArtifactKeySummary } from "../../store/types";
import { Throttle } from "../emitter";
import { TreeReads } from "../tree-click";
import { dataTooltip, mdCode, mdText } from "../markdown-text";
import type { ExtensionStore } from "../store-extras";
import type { VSCode } from "../vscode-types";
import { artifactIcon, artifactLabel, COMMANDS, shortTime } from "./present";

// The Artifacts view: each key with its version count, its versions newest first (paged, a key can have
// thousands); then "Unkeyed artifacts", the newest ones under their flow run (paged too). Every level is
// one query to the store's worker made when it is expanded (the index keeps each key's count), so a
// refresh over a million artifacts reads a row a key, not a row an artifact. Item ids are stable, so
// VS Code keeps what was expanded.

export type ArtifactNode =
  | { kind: "key"; summary: ArtifactKeySummary }
  | { kind: "version"; artifact: Artifact; number: number; of: number }
  /** `key` UNKEYED: more unkeyed artifacts (their total is not counted: `total` undefined). */
  | { kind: "more"; key: string; shown: number; total?: number }
  | { kind: "unkeyed" }
  | { kind: "run"; flowRunId: string | undefined; name?: string; flowName?: string; artifacts: Artifact[] }
  | { kind: "artifact"; artifact: Artifact };

/** Versions listed under a key before a "more" item. */
export const VERSION_PAGE = 100;
/** Unkeyed artifacts listed (newest first) before a "more" item. */
export const UNKEYED_PAGE = 1000;
/** The `key` of the "more" item of unkeyed artifacts (no artifact key is empty). */
export const UNKEYED = "";
/** Refreshes are coalesced to one per this long (a running flow changes the database many times a second). */
const REFRESH_MS = 300;

export interface ArtifactsSource {
  /** The store, or undefined while there is nothing to show (no home yet). */
  peek(): Promise<ExtensionStore | undefined>;
}

export class ArtifactsTreeProvider implements TreeDataProvider<ArtifactNode> {
  private readonly changed;
  readonly onDidChangeTreeData: Event<ArtifactNode | undefined>;
  private readonly pages = new Map<string, number>();
  private readonly refreshes: Throttle;
  readonly reads = new TreeReads();

  constructor(
    private readonly vscode: VSCode,
    private readonly source: ArtifactsSource,
  ) {
    this.changed = new vscode.EventEmitter<ArtifactNode | undefined>();
    this.onDidChangeTreeData = this.changed.event;
    this.refreshes = new Throttle(REFRESH_MS, () => this.changed.fire(undefined));
  }

  /** Re-reads the tree soon: at most one refresh per REFRESH_MS, the last change always included. */
  refresh(): void {
    this.refreshes.schedule();
  }

  /** Lists more versions under a key (its "more" item), or more unkeyed artifacts (UNKEYED). */
  showMore(key: string): void {
    const page = key === UNKEYED ? UNKEYED_PAGE : VERSION_PAGE;
    this.pages.set(key, (this.pages.get(key) ?? page) + page);
    this.changed.fire(undefined);
  }

  getChildren(node?: ArtifactNode): Promise<ArtifactNode[]> {
    return this.reads.track(this.children(node));
  }

  /** What a click on an item does: open what it shows, or list more. */
  async click(node: ArtifactNode, open: (node: ArtifactNode) => Promise<void>): Promise<void> {
    if (node.kind === "more") this.showMore(node.key);
    else if (node.kind === "key" || node.kind === "version" || node.kind === "artifact") await open(node);
  }

  private async children(node?: ArtifactNode): Promise<ArtifactNode[]> {
    const store = await this.source.peek();
    if (!store) return [];
    if (!node) {
      const [summaries, unkeyed] = await Promise.all([store.listArtifactKeys(), store.listArtifacts({ keyed: false, includeData: false, limit: 1 })]);
      const keys: ArtifactNode[] = summaries.map((summary) => ({ kind: "key", summary }));
      return unkeyed.length > 0 ? [...keys, { kind: "unkeyed" }] : keys;
    }
    switch (node.kind) {
      case "key": {
        const { key, versions: total } = node.summary;
        const limit = this.pages.get(key) ?? VERSION_PAGE;
        const versions = await store.getArtifactVersions(key, { includeData: false, limit });
        const items: ArtifactNode[] = versions.map((artifact, i) => ({ kind: "version", artifact, number: total - i, of: total }));
        if (total > versions.length) items.push({ kind: "more", key, shown: versions.length, total });
        return items;
      }
      case "unkeyed":
        return this.runsWithUnkeyed(store);
      case "run":
        return node.artifacts.map((artifact) => ({ kind: "artifact", artifact }));
      default:
        return [];
    }
  }

  getTreeItem(node: ArtifactNode): TreeItem {
    const v = this.vscode;
    const { Collapsed, None } = v.TreeItemCollapsibleState;
    switch (node.kind) {
      case "key": {
        const { key, versions, latest } = node.summary;
        const item = new v.TreeItem(key, Collapsed);
        item.id = `key:${key}`;
        item.description = `${versions} ${versions === 1 ? "version" : "versions"} · ${shortTime(latest.created)}`;
        item.iconPath = new v.ThemeIcon(artifactIcon(latest.type));
        item.contextValue = "flowline.artifactKey";
        item.command = { command: COMMANDS.click, title: "Open Artifact" };
        return item;
      }
      case "version":
        return this.artifactItem(`Version ${node.number}${node.number === node.of ? " (latest)" : ""}`, "version", "flowline.artifactVersion", node);
      case "more": {
        const label = node.total === undefined ? `Show ${UNKEYED_PAGE} more…` : `Show ${Math.min(VERSION_PAGE, node.total - node.shown)} more…`;
        const item = new v.TreeItem(label, None);
        item.id = node.key === UNKEYED ? "more-unkeyed" : `more:${node.key}`;
        item.description = node.total === undefined ? `${node.shown} newest shown` : `${node.shown} of ${node.total} shown`;
        item.iconPath = new v.ThemeIcon("ellipsis");
        item.command = { command: COMMANDS.click, title: "Show More Versions" };
        return item;
      }
      case "unkeyed": {
        const item = new v.TreeItem("Unkeyed artifacts", Collapsed);
        item.id = "unkeyed";
        item.iconPath = new v.ThemeIcon("archive");
        item.tooltip = "Artifacts created without a key, under the flow run that created them";
        return item;
      }
      case "run": {
        const label = node.flowRunId ? (node.name ?? node.flowRunId.slice(0, 8)) : "Outside any run";
        const item = new v.TreeItem(label, Collapsed);
        item.id = `run:${node.flowRunId ?? "-"}`;
        const n = node.artifacts.length;
        item.description = `${node.flowName ? `${node.flowName} · ` : ""}${n} ${n === 1 ? "artifact" : "artifacts"}`;
        item.iconPath = new v.ThemeIcon(node.flowRunId ? "run-all" : "circle-slash");
        item.tooltip = node.flowRunId ? `Flow run ${node.flowRunId}` : "Created outside any flow or task run";
        return item;
      }
      case "artifact":
        return this.artifactItem(artifactLabel(node.artifact), "artifact", "flowline.artifact", node);
    }
  }

  /** A row for one artifact version, which opens it. */
  private artifactItem(label: string, idPrefix: string, contextValue: string, node: Extract<ArtifactNode, { artifact: Artifact }>): TreeItem {
    const v = this.vscode;
    const a = node.artifact;
    const item = new v.TreeItem(label, v.TreeItemCollapsibleState.None);
    item.id = `${idPrefix}:${a.id}`;
    item.description = shortTime(a.created);
    item.iconPath = new v.ThemeIcon(artifactIcon(a.type));
    item.contextValue = contextValue;
    item.command = { command: COMMANDS.click, title: "Open Artifact" };
    return item;
  }

  /**
   * Markdown tooltips are made when hovered: VS Code parses each one on the extension host's thread, so
   * a refresh over a thousand keys would parse a thousand.
   */
  resolveTreeItem(item: TreeItem, node: ArtifactNode): TreeItem {
    switch (node.kind) {
      case "key": {
        const { key, versions, latest } = node.summary;
        item.tooltip = this.tooltip(latest, `**${mdText(key)}** · ${mdText(latest.type)} · ${versions} ${versions === 1 ? "version" : "versions"}`);
        break;
      }
      case "version":
        item.tooltip = this.tooltip(node.artifact, `**${mdText(node.artifact.key ?? "")}** · version ${node.number} of ${node.of} · ${mdText(node.artifact.type)}`);
        break;
      case "artifact":
        item.tooltip = this.tooltip(node.artifact, `**${mdText(node.artifact.type)}** · ${mdCode(node.artifact.id)}`);
        break;
    }
    return item;
  }

  dispose(): void {
    this.refreshes.dispose();
    this.changed.dispose();
  }

  /** Flow runs with unkeyed artifacts, newest first; artifacts outside any run last; then "more". */
  private async runsWithUnkeyed(store: ExtensionStore): Promise<ArtifactNode[]> {
    const groups = new Map<string | undefined, Artifact[]>();
    const limit = this.pages.get(UNKEYED) ?? UNKEYED_PAGE;
    // One more than shown tells whether there are more.
    const listed = await store.listArtifacts({ keyed: false, includeData: false, limit: limit + 1 });
    for (const a of listed.slice(0, limit)) {
      const list = groups.get(a.flowRunId);
      if (list) list.push(a);
      else groups.set(a.flowRunId, [a]);
    }
    // One query for every run's name; a run that was pruned shows under its id.
    const runs = new Map((await store.listFlowRuns()).map((r) => [r.id, r]));
    const nodes: ArtifactNode[] = [];
    for (const [flowRunId, artifacts] of groups) {
      if (flowRunId === undefined) continue;
      const run = runs.get(flowRunId);
      nodes.push({ kind: "run", flowRunId, name: run?.name, flowName: run?.flowName, artifacts });
    }
    const outside = groups.get(undefined);
    if (outside) nodes.push({ kind: "run", flowRunId: undefined, artifacts: outside });
    if (listed.length > limit) nodes.push({ kind: "more", key: UNKEYED, shown: limit });
    return nodes;
  }

  /** `heading` is markdown whose data is already escaped; the rest is data, shown as text. */
  private tooltip(a: Artifact, heading: string): InstanceType<VSCode["MarkdownString"]> {
    // A description is markdown a flow wrote: in a hover it would load its images, so it shows as text
    // here (the panel renders it, with remote images behind a click).
    const description = a.description ? `\n\n---\n\n${mdText(a.description)}` : "";
    return dataTooltip(this.vscode, `${heading}\n\nCreated ${mdText(a.created)}${description}`);
  }
}
