import { strict as assert } from "node:assert";
import { clearArtifacts, deleteArtifact, deleteArtifactKey } from "../../src/extension/artifacts/commands";
import { ArtifactsTreeProvider, VERSION_PAGE, type ArtifactNode } from "../../src/extension/artifacts/tree";
import { fakeVscode, type FakeVscode, type TreeItem } from "../fake-vscode";
import { artifactEvent, flowRunEvent, storeWith, type StoreFixture } from "./store-fixture";

// The Artifacts view over a real store, in plain Node with a fake vscode: keys with their version counts,
// versions newest first, unkeyed artifacts under their flow run, icons by type, and the delete commands.

const RUN = "f0000000-0000-4000-8000-000000000001";

async function fixture(): Promise<StoreFixture> {
  return storeWith([
    flowRunEvent(RUN, "brave-otter", "cities"),
    artifactEvent("a1", "table", [{ a: 1 }], { key: "sales", description: "# Sales\nv1" }, 1),
    artifactEvent("a2", "table", [{ a: 2 }], { key: "sales" }, 2),
    artifactEvent("a3", "table", [{ a: 3 }], { key: "sales", flowRunId: RUN }, 3),
    artifactEvent("m1", "markdown", "# hi", { key: "report" }, 4),
    artifactEvent("p1", "progress", 40, { key: "etl-progress" }, 5),
    artifactEvent("l1", "link", { url: "https://a.b" }, { flowRunId: RUN, description: "Dashboard link" }, 6),
    artifactEvent("i1", "image", "https://a.b/c.png", { flowRunId: RUN }, 7),
    artifactEvent("o1", "markdown", "outside", {}, 8),
  ]);
}

describe("Artifacts tree", () => {
  let fx: StoreFixture;
  let f: FakeVscode;
  let tree: ArtifactsTreeProvider;
  const item = (n: ArtifactNode) => tree.getTreeItem(n) as unknown as TreeItem;
  const labels = async (n?: ArtifactNode) => (await tree.getChildren(n)).map((c) => item(c).label);

  beforeEach(async () => {
    fx = await fixture();
    f = fakeVscode();
    tree = new ArtifactsTreeProvider(f.vscode, { peek: async () => fx.ext });
  });
  afterEach(() => {
    tree.dispose();
    fx.close();
  });

  it("lists each key with its version count, most recently changed first, then the unkeyed group", async () => {
    const root = await tree.getChildren();
    assert.deepEqual(root.map((n) => item(n).label), ["etl-progress", "report", "sales", "Unkeyed artifacts"]);
    const sales = item(root[2]);
    assert.match(sales.description ?? "", /^3 versions · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.deepEqual(root.slice(0, 3).map((n) => item(n).iconPath?.id), ["dashboard", "markdown", "table"]);
    assert.equal(sales.contextValue, "flowline.artifactKey");
    // A click opens the item it lands on: the command carries no arguments (VS Code drops them on refresh).
    assert.equal(sales.command?.command, "flowline.artifacts.openItem");
    assert.equal(sales.command?.arguments, undefined);
    const opened: ArtifactNode[] = [];
    await tree.click(root[2], async (n) => void opened.push(n));
    assert.deepEqual(opened.map((n) => n.kind === "key" && n.summary.key), ["sales"]);
  });

  it("lists a key's versions newest first, numbered, the latest marked", async () => {
    const [, , sales] = await tree.getChildren();
    const versions = await tree.getChildren(sales);
    assert.deepEqual(versions.map((n) => item(n).label), ["Version 3 (latest)", "Version 2", "Version 1"]);
    assert.deepEqual(versions.map((n) => item(n).id), ["version:a3", "version:a2", "version:a1"]);
    assert.equal(item(versions[0]).contextValue, "flowline.artifactVersion");
    const hovered = tree.resolveTreeItem(tree.getTreeItem(versions[2]), versions[2]) as unknown as TreeItem;
    assert.match(String((hovered.tooltip as { value: string }).value), /# Sales/);
  });

  it("puts unkeyed artifacts under their flow run (by name), and those outside any run last", async () => {
    const root = await tree.getChildren();
    const runs = await tree.getChildren(root[3]);
    assert.deepEqual(runs.map((n) => item(n).label), ["brave-otter", "Outside any run"]);
    assert.equal(item(runs[0]).description, "cities · 2 artifacts");
    const inRun = await tree.getChildren(runs[0]);
    assert.deepEqual(inRun.map((n) => item(n).label), ["image i1", "Dashboard link"]);
    assert.deepEqual(inRun.map((n) => item(n).iconPath?.id), ["file-media", "link"]);
    assert.deepEqual(await labels(runs[1]), ["markdown o1"]);
  });

  it("pages a key with many versions", async () => {
    await fx.add(Array.from({ length: VERSION_PAGE + 30 }, (_, i) => artifactEvent(`many-${i}`, "markdown", `v${i}`, { key: "many" }, 100 + i)));
    const many = (await tree.getChildren()).find((n) => item(n).label === "many") as ArtifactNode;
    let versions = await tree.getChildren(many);
    assert.equal(versions.length, VERSION_PAGE + 1);
    assert.equal(item(versions[VERSION_PAGE]).label, "Show 30 more…");
    assert.equal(item(versions[VERSION_PAGE]).command?.command, "flowline.artifacts.openItem");
    // A click on "Show 30 more…" lists the rest, and opens nothing.
    await tree.click(versions[VERSION_PAGE], async () => assert.fail("a click on Show more opened something"));
    versions = await tree.getChildren(many);
    assert.equal(versions.length, VERSION_PAGE + 30);
    assert.equal(item(versions.at(-1) as ArtifactNode).label, "Version 1");
  });

  it("shows nothing while there is no store", async () => {
    const empty = new ArtifactsTreeProvider(f.vscode, { peek: async () => undefined });
    assert.deepEqual(await empty.getChildren(), []);
  });

  it("coalesces refreshes into one change event", async () => {
    let fired = 0;
    tree.onDidChangeTreeData(() => fired++);
    for (let i = 0; i < 20; i++) tree.refresh();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(fired, 1);
  });

  it("deletes a version after a modal confirmation, and not without one", async () => {
    const [, , sales] = await tree.getChildren();
    const [latest] = await tree.getChildren(sales);
    f.answers.push(undefined); // the user closes the dialog
    assert.equal(await deleteArtifact(f.vscode, fx.ext, latest), false);
    f.answers.push("Delete");
    assert.equal(await deleteArtifact(f.vscode, fx.ext, latest), true);
    const asked = f.calls.filter((c) => c.api === "showWarningMessage");
    assert.equal(asked[0].args[0], "Delete version 3 of 'sales' (its latest; the previous version becomes the latest)?");
    assert.deepEqual(asked[0].args[1], { modal: true, detail: "Created 2025-03-01T10:00:00.003Z. This cannot be undone." });
    assert.deepEqual((await fx.store.getArtifactVersions("sales", { includeData: false })).map((a) => a.id), ["a2", "a1"]);
    // By id too (what the Flow Runs tree passes).
    f.answers.push("Delete");
    assert.equal(await deleteArtifact(f.vscode, fx.ext, "o1"), true);
    assert.equal(await fx.store.getArtifact("o1"), undefined);
  });

  it("deletes all versions of a key, and clears everything, each after a modal confirmation", async () => {
    const [, , sales] = await tree.getChildren();
    f.answers.push("Delete");
    assert.equal(await deleteArtifactKey(f.vscode, fx.ext, sales), 3);
    assert.equal(f.calls.at(-1)?.args[0], "Delete all 3 versions of 'sales'?");
    f.answers.push("Delete");
    assert.equal(await clearArtifacts(f.vscode, fx.ext), 5);
    assert.equal(f.calls.filter((c) => c.api === "showWarningMessage").at(-1)?.args[0], "Delete all 5 artifacts?");
    assert.deepEqual(await tree.getChildren(), []);
  });
});
