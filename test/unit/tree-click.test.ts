import * as assert from "node:assert/strict";
import { ArtifactsTreeProvider, type ArtifactNode } from "../../src/extension/artifacts/tree";
import { COMMANDS } from "../../src/extension/artifacts/present";
import type { RunManager } from "../../src/extension/run-manager";
import { OPEN_ARTIFACT_COMMAND, RUNS_CLICK_COMMAND, RunsTreeProvider, type RunNode } from "../../src/extension/runs-tree";
import type { StoreService } from "../../src/extension/store-service";
import { clickedItem, TreeReads } from "../../src/extension/tree-click";
import type { TreeItem } from "../../src/extension/vscode-types";
import { fakeVscode } from "../fake-vscode";
import { IDS } from "./helpers/hostile-home";
import { hostileViews, type HostileViews } from "./helpers/hostile-views";

// Every click counts: VS Code drops a tree command's arguments when the tree refreshes, so a click during
// a refresh did nothing ("Actual command not found"). Items' commands carry no arguments; the command reads
// the clicked item from the view's selection, waiting for a re-read in flight.

/** Walks a tree: every node with its item. */
async function walk<T>(tree: { getChildren(n?: T): Promise<T[]>; getTreeItem(n: T): TreeItem | Promise<TreeItem> }): Promise<Array<{ node: T; item: TreeItem }>> {
  const out: Array<{ node: T; item: TreeItem }> = [];
  const visit = async (parent?: T) => {
    for (const node of await tree.getChildren(parent)) {
      const item = await tree.getTreeItem(node);
      out.push({ node, item });
      if (item.collapsibleState) await visit(node);
    }
  };
  await visit();
  return out;
}

describe("every click counts: tree commands without arguments", function () {
  this.timeout(30_000);
  let store: StoreService;
  let runs: RunManager;
  let views: HostileViews;

  before(async () => {
    views = await hostileViews();
    ({ store, runs } = views);
  });
  after(() => views.close());

  it("a click that lands while the tree re-reads the item's level opens that item once the read is in", async () => {
    const reads = new TreeReads();
    const node = { kind: "key" };
    let listed = false;
    // As VS Code's extension host does: a refresh forgets every element; the selection names a handle whose
    // element exists again only once VS Code has asked for its level (a round trip later) and it was read.
    const view = { get selection() { return listed ? [node] : []; } };
    const clicked = clickedItem(view, reads);
    setTimeout(() => void reads.track(new Promise((resolve) => setTimeout(resolve, 50))).then(() => setImmediate(() => (listed = true))), 40);
    assert.equal(await clicked, node);
  });

  it("a click with nothing selected opens nothing, within its bound", async () => {
    assert.equal(await clickedItem({ selection: [] }, new TreeReads(), 100), undefined);
  });

  it("no item of the Artifacts tree carries command arguments; its click opens the item clicked", async () => {
    const { vscode } = fakeVscode();
    const tree = new ArtifactsTreeProvider(vscode, { peek: () => store.peek() });
    const items = (await walk<ArtifactNode>(tree)).filter((x) => x.item.command);
    assert.ok(items.length >= 2, "the hostile home has keyed artifacts");
    for (const { item } of items) {
      assert.equal(item.command?.command, COMMANDS.click);
      assert.equal(item.command?.arguments, undefined, `${String(item.label)}: no arguments`);
    }
    const opened: ArtifactNode[] = [];
    const key = items.find((x) => x.node.kind === "key")!.node;
    await tree.click(key, async (n) => void opened.push(n));
    assert.deepEqual(opened, [key]);
    tree.dispose();
  });

  it("no item of the Flow Runs tree carries command arguments; clicking an artifact row opens that artifact", async () => {
    const fake = fakeVscode();
    fake.vscode.commands.registerCommand(OPEN_ARTIFACT_COMMAND, () => undefined);
    const tree = new RunsTreeProvider(fake.vscode, store, runs, () => 100);
    const items = (await walk<RunNode>(tree)).filter((x) => x.item.command);
    const artifactRow = items.find((x) => x.node.kind === "artifact");
    assert.ok(artifactRow, "an artifact row has a click command");
    for (const { item } of items) {
      assert.equal(item.command?.command, RUNS_CLICK_COMMAND);
      assert.equal(item.command?.arguments, undefined);
    }
    await tree.click(artifactRow.node);
    const a = (artifactRow.node as Extract<RunNode, { kind: "artifact" }>).artifact;
    assert.ok([IDS.markdown, IDS.table].includes(a.id));
    assert.deepEqual(fake.calls.filter((c) => c.api === "executeCommand").map((c) => c.args), [[OPEN_ARTIFACT_COMMAND, a.id]]);
    tree.dispose();
  });
});
