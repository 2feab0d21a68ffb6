import * as assert from "node:assert/strict";
import MarkdownIt from "markdown-it";
import { ArtifactsTreeProvider, type ArtifactNode } from "../../src/extension/artifacts/tree";
import { mdCode, mdText } from "../../src/extension/markdown-text";
import type { RunManager } from "../../src/extension/run-manager";
import { RunsTreeProvider, type RunNode } from "../../src/extension/runs-tree";
import type { StoreService } from "../../src/extension/store-service";

import { fakeVscode } from "../fake-vscode";
import { IDS, TRACKER } from "./helpers/hostile-home";
import { hostileViews, type HostileViews } from "./helpers/hostile-views";

// Tree tooltips are markdown that VS Code renders in a hover. Run names, flow names, state messages, keys
// and descriptions come from the database, and a hostile journal fills them with images that would load
// from a tracker on hover, file: links and autolinks, and backticks that end a code span early. Each
// tooltip of both trees over that journal is rendered with a CommonMark renderer (markdown-it, with HTML
// and linkify on: stricter than VS Code's hover) and must hold no image and no link, only the text.

const renderer = new MarkdownIt({ html: true, linkify: true });

interface Rendered {
  html: string;
  text: string;
  isTrusted?: boolean;
  supportHtml?: boolean;
}

function render(tooltip: unknown): Rendered {
  const md = tooltip as { value: string; isTrusted?: boolean; supportHtml?: boolean };
  assert.equal(typeof md.value, "string", "a MarkdownString");
  const html = renderer.render(md.value);
  const text = html.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  return { html, text, isTrusted: md.isTrusted, supportHtml: md.supportHtml };
}

function assertInert(r: Rendered, what: string): void {
  assert.doesNotMatch(r.html, /<img|<a[\s>]|<script|<iframe/i, `${what}:\n${r.html}`);
  assert.ok(!r.html.includes("tracker.test/pixel.png\""), `${what}: no attribute names the tracker`);
  assert.equal(r.isTrusted, false, `${what}: untrusted, so no command links`);
  assert.equal(r.supportHtml, false, `${what}: no HTML`);
}

describe("tree tooltips show stored text as text", function () {
  this.timeout(30_000);
  let store: StoreService;
  let runs: RunManager;
  let views: HostileViews;

  before(async () => {
    views = await hostileViews();
    ({ store, runs } = views);
  });
  after(() => views.close());

  it("escapes markdown so that data is never an image, a link or the end of a code span", () => {
    const hostile = "x` ![a](https://t.test/i.png) [f](file:///etc/passwd) <file:///x> https://t.test www.t.test <b>b</b> &#106; ``";
    for (const value of [mdText(hostile), `**${mdText(hostile)}**`, mdCode(hostile), `Result: ${mdCode(hostile)}  \nnext`]) {
      const r = render({ value, isTrusted: false, supportHtml: false });
      assertInert(r, value);
      assert.ok(r.text.includes(hostile), `the text is all there: ${r.text}`);
    }
  });

  it("the Flow Runs tree: a run's and a task run's tooltip, and an artifact's, load nothing and link nothing", async () => {
    const tree = new RunsTreeProvider(fakeVscode().vscode, store, runs, () => 100);
    const [flowRun] = await tree.getChildren();
    const children = await tree.getChildren(flowRun);
    const taskRun = children.find((c) => c.kind === "taskRun") as RunNode;
    const artifact = children.find((c) => c.kind === "artifact") as RunNode;
    const run = (flowRun as Extract<RunNode, { kind: "flowRun" }>).run;
    const task = (taskRun as Extract<RunNode, { kind: "taskRun" }>).run;

    // Tooltips are resolved on hover (resolveTreeItem), as VS Code asks for them.
    const tooltip = async (n: RunNode) => tree.resolveTreeItem(await tree.getTreeItem(n), n).tooltip;
    for (const n of [flowRun, taskRun, artifact]) assert.equal((await tree.getTreeItem(n)).tooltip, undefined, "no markdown is made for a tree refresh");
    const flowTip = render(await tooltip(flowRun));
    assertInert(flowTip, "flow run");
    // Line breaks in a name become spaces (a code span has no lines); the rest is as stored.
    const flat = (s: string) => s.replace(/\s+/g, " ");
    for (const shown of [run.flowName, run.name, "boom", IDS.flowRun, "../../../secret.txt"]) assert.ok(flat(flowTip.text).includes(flat(shown)), `${shown} in\n${flowTip.text}`);
    const taskTip = render(await tooltip(taskRun));
    assertInert(taskTip, "task run");
    assert.ok(flat(taskTip.text).includes(flat(task.name)), taskTip.text);
    const artifactTip = render(await tooltip(artifact));
    assertInert(artifactTip, "artifact");
    assert.ok(artifactTip.text.includes(`![seen](${TRACKER})`), artifactTip.text);
  });

  it("the Artifacts tree: a key's, a version's and an unkeyed artifact's tooltip load nothing and link nothing", async () => {
    const opened = await store.get();
    const tree = new ArtifactsTreeProvider(fakeVscode().vscode, { peek: async () => opened });
    const root = await tree.getChildren();
    const key = root.find((n) => n.kind === "key") as ArtifactNode;
    const [version] = await tree.getChildren(key);
    const [run] = await tree.getChildren(root.find((n) => n.kind === "unkeyed"));
    const [unkeyed] = await tree.getChildren(run);
    for (const [what, node] of [["key", key], ["version", version], ["unkeyed", unkeyed]] as const) {
      assert.equal(tree.getTreeItem(node).tooltip, undefined, `${what}: made on hover only`);
      const tip = render(tree.resolveTreeItem(tree.getTreeItem(node), node).tooltip);
      assertInert(tip, what);
      assert.ok(tip.text.includes(`[passwd](file:///etc/passwd)`), `${what}: the description is shown as text\n${tip.text}`);
    }
    tree.dispose();
  });
});
