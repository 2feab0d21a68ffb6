import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Uri as VsUri } from "vscode";
import { CHUNK_BYTES } from "../../src/extension/panels/artifact-content";
import { ArtifactPanels } from "../../src/extension/panels/panels";
import { fakeVscode, type FakePanel, type FakeVscode, Uri } from "../fake-vscode";
import { artifactEvent, at, flowRunEvent, storeWith, type StoreFixture } from "./store-fixture";

// The panel's host side over a real store, with a fake vscode: the ready handshake, paging, following a
// key's new versions, live progress, deletions, and what it does with the webview's requests.

const RUN = "f0000000-0000-4000-8000-000000000002";
const tick = () => new Promise((r) => setTimeout(r, 10));

describe("artifact panel host", () => {
  let fx: StoreFixture;
  let f: FakeVscode;
  let panels: ArtifactPanels;
  let panel: FakePanel;
  let revealed: [string, string | undefined][];

  beforeEach(async () => {
    fx = await storeWith([
      flowRunEvent(RUN, "brave-otter", "cities"),
      artifactEvent("v1", "markdown", "# one", { key: "report", flowRunId: RUN }, 1),
      artifactEvent("v2", "markdown", "# two", { key: "report", flowRunId: RUN, description: "second" }, 2),
      artifactEvent("big", "table", Array.from({ length: 12_345 }, (_, i) => ({ i, name: `row ${i}` })), { key: "big" }, 3),
      artifactEvent("prog", "progress", 10, { flowRunId: RUN }, 4),
    ]);
    f = fakeVscode();
    revealed = [];
    panels = new ArtifactPanels({
      vscode: f.vscode,
      extensionUri: Uri.file("/ext") as unknown as VsUri,
      getStore: async () => fx.ext,
      revealRun: async (flowRunId, taskRunId) => void revealed.push([flowRunId, taskRunId]),
    });
  });
  afterEach(() => {
    panels.dispose();
    fx.close();
  });

  const open = async (id: string) => {
    await panels.open(id);
    panel = f.panels.at(-1) as FakePanel;
  };
  const shows = () => panel.posted.filter((m) => m.type === "show") as unknown as { artifact: { id: string; following: boolean; versions: unknown[] }; load: number }[];

  it("serves the built webview under a strict CSP, limited to dist/webview", async () => {
    await open("v2");
    assert.match(panel.webview.html, /script-src 'nonce-[A-Za-z0-9]+'/);
    assert.match(panel.webview.html, /src="https:\/\/csp.test\/ext\/dist\/webview\/main.js"/);
    assert.deepEqual(panel.webview.options.localResourceRoots?.map((u) => u.fsPath), ["/ext/dist/webview"]);
    assert.equal(panel.title, "report");
  });

  it("posts nothing before the webview is ready, then everything, and all again when it comes back", async () => {
    await open("v2");
    assert.deepEqual(panel.posted, []);
    panel.receive({ type: "ready" });
    await tick();
    assert.deepEqual(panel.types(), ["show"]);
    const [first] = shows();
    assert.deepEqual(first.artifact.versions, [{ id: "v2", created: at(2) }, { id: "v1", created: at(1) }]);
    assert.equal(first.artifact.following, true);
    assert.deepEqual((first as unknown as { artifact: { flowRun: unknown } }).artifact.flowRun, { id: RUN, name: "brave-otter" });
    // Hidden: VS Code tears the webview down; shown again, it says ready and gets the panel afresh.
    panel.setVisible(false);
    panel.setVisible(true);
    panel.receive({ type: "ready" });
    await tick();
    assert.deepEqual(panel.types(), ["show", "show"]);
    assert.ok(shows()[1].load > first.load);
  });

  it("streams a big table: the show, 1,000 rows, then chunks of at most 10,000 rows or about 128 KB", async () => {
    await open("big");
    panel.receive({ type: "ready" });
    await tick();
    const rows = panel.posted.filter((m) => m.type === "rows") as unknown as { start: number; rows: unknown[]; done: boolean }[];
    assert.deepEqual([rows[0].start, rows[0].rows.length], [0, 1000]);
    rows.forEach((r, i) => {
      assert.equal(r.start, i === 0 ? 0 : rows[i - 1].start + rows[i - 1].rows.length, "chunks follow one another");
      assert.equal(r.done, i === rows.length - 1, "the last is marked done");
      assert.ok(r.rows.length <= 10_000 && JSON.stringify(r.rows).length <= 1.1 * CHUNK_BYTES, `chunk ${i}: ${r.rows.length} rows`);
    });
    assert.equal(rows.at(-1)!.start + rows.at(-1)!.rows.length, 12_345);
    assert.equal((shows()[0] as unknown as { raw?: string }).raw, undefined, "a big table's raw JSON waits to be asked for");
    panel.receive({ type: "requestRaw", load: shows()[0].load });
    await tick();
    const raw = panel.posted.find((m) => m.type === "raw") as unknown as { text: string };
    assert.equal(JSON.parse(raw.text).length, 12_345);
  });

  it("follows a key's new versions on the latest, and only lists them on an older one", async () => {
    await open("v2");
    panel.receive({ type: "ready" });
    await tick();
    await fx.add([artifactEvent("v3", "markdown", "# three", { key: "report" }, 10)]);
    await panels.refresh();
    assert.equal(shows().at(-1)?.artifact.id, "v3");
    panel.receive({ type: "selectVersion", id: "v1" });
    await tick();
    assert.deepEqual([shows().at(-1)?.artifact.id, shows().at(-1)?.artifact.following], ["v1", false]);
    await fx.add([artifactEvent("v4", "markdown", "# four", { key: "report" }, 11)]);
    await panels.refresh();
    assert.equal(shows().at(-1)?.artifact.id, "v1");
    const versions = panel.posted.at(-1) as unknown as { type: string; versions: { id: string }[] };
    assert.deepEqual([versions.type, versions.versions.map((v) => v.id)], ["versions", ["v4", "v3", "v2", "v1"]]);
    // Opening the key's version that is already shown reveals the same panel.
    await panels.open("v4");
    assert.equal(f.panels.length, 1);
    assert.equal(shows().at(-1)?.artifact.id, "v4");
  });

  it("moves a progress bar when the store says it changed, without re-sending the panel", async () => {
    await open("prog");
    panel.receive({ type: "ready" });
    await tick();
    await fx.add([{ e: "artifact_update", id: "prog", data: 75, ts: at(50) }]);
    await panels.refresh();
    assert.deepEqual(panel.types(), ["show", "progress"]);
    assert.equal(panel.posted[1].value, 75);
  });

  it("says the artifact is gone when it is deleted", async () => {
    await open("prog");
    panel.receive({ type: "ready" });
    await tick();
    await fx.store.deleteArtifact("prog");
    await panels.refresh();
    assert.deepEqual(panel.posted.at(-1), { type: "gone", message: "This artifact was deleted." });
  });

  it("picks up a new version of a key whose every version was deleted, and follows it", async () => {
    await open("v2");
    panel.receive({ type: "ready" });
    await tick();
    await fx.store.deleteArtifact("v2");
    await fx.store.deleteArtifact("v1");
    await panels.refresh();
    assert.deepEqual(panel.posted.at(-1), { type: "gone", message: "All versions of 'report' were deleted." });
    await fx.add([artifactEvent("v9", "markdown", "# again", { key: "report" }, 20)]);
    await panels.refresh();
    assert.deepEqual([shows().at(-1)?.artifact.id, shows().at(-1)?.artifact.following], ["v9", true]);
  });

  it("opens only validated links, reveals runs, copies, and exports CSV through a save dialog", async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ws-"));
    fs.writeFileSync(path.join(ws, "notes.md"), "x");
    f.workspaceFolders.push(ws);
    try {
      await open("v2");
      panel.receive({ type: "ready" });
      panel.receive({ type: "openLink", href: "javascript:alert(1)" });
      panel.receive({ type: "openLink", href: "https://example.com/x" });
      panel.receive({ type: "openLink", href: "notes.md" });
      panel.receive({ type: "revealRun", flowRunId: RUN, taskRunId: "t1" });
      panel.receive({ type: "copy", text: "a,b\r\n", what: "1 row as CSV" });
      f.answers.push(Uri.file(path.join(ws, "out.csv")));
      panel.receive({ type: "exportCsv", csv: "a\r\n1\r\n", fileName: "report.csv" });
      await tick();
      const calls = f.calls.map((c) => [c.api, ...c.args.map((a) => (a instanceof Uri ? a.fsPath : a))]);
      assert.deepEqual(calls.find((c) => c[0] === "showWarningMessage")?.[1], "Links with 'javascript:' are not opened from artifacts; only http, https, mailto and files in the workspace are.");
      assert.deepEqual(calls.filter((c) => c[0] === "openExternal"), [["openExternal", "https://example.com/x"]]);
      assert.deepEqual(calls.filter((c) => c[0] === "executeCommand").slice(0, 1), [["executeCommand", "vscode.open", fs.realpathSync(path.join(ws, "notes.md"))]]);
      assert.deepEqual(revealed, [[RUN, "t1"]]);
      assert.deepEqual(calls.find((c) => c[0] === "clipboard.writeText"), ["clipboard.writeText", "a,b\r\n"]);
      const write = f.calls.find((c) => c.api === "workspace.fs.writeFile");
      assert.equal((write?.args[0] as Uri).fsPath, path.join(ws, "out.csv"));
      assert.equal(new TextDecoder().decode(write?.args[1] as Uint8Array), "a\r\n1\r\n");
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it("allows remote images only from the plain https origins the webview asks for, under a CSP naming them", async () => {
    await open("v2");
    panel.receive({ type: "ready" });
    await tick();
    const imgSrc = () => /img-src ([^;]*);/.exec(panel.webview.html)?.[1];
    assert.equal(imgSrc(), "https://csp.test data:");
    assert.deepEqual((shows()[0] as unknown as { remoteImages: string[] }).remoteImages, []);
    const html = panel.webview.html;
    panel.receive({ type: "loadRemoteImages", origins: ["http://plain.test", "https://a.test/path", "https://x.test;script-src *", "*", 42] });
    await tick();
    assert.equal(panel.webview.html, html, "nothing acceptable: the page is not reloaded");
    panel.receive({ type: "loadRemoteImages", origins: ["https://images.test", "https://x.test;script-src *"] });
    await tick();
    assert.equal(imgSrc(), "https://csp.test data: https://images.test");
    // The reloaded page says ready and learns which origins it may draw.
    panel.receive({ type: "ready" });
    await tick();
    assert.deepEqual((shows().at(-1) as unknown as { remoteImages: string[] }).remoteImages, ["https://images.test"]);
    // Another panel, or this one brought back after a window reload, asks again.
    const restored = f.vscode.window.createWebviewPanel("flowline.artifact", "report", -1) as unknown as FakePanel;
    await panels.serializer().deserializeWebviewPanel(restored as never, { artifactId: "v2", key: "report", following: true });
    assert.equal(/img-src ([^;]*);/.exec(restored.webview.html)?.[1], "https://csp.test data:");
  });

  it("brings a panel back after a reload from the state its webview saved", async () => {
    const restored = f.vscode.window.createWebviewPanel("flowline.artifact", "report", -1) as unknown as FakePanel;
    await panels.serializer().deserializeWebviewPanel(restored as never, { artifactId: "v1", key: "report", following: false, mode: "raw" });
    restored.receive({ type: "ready" });
    await tick();
    const show = restored.posted[0] as unknown as { artifact: { id: string; following: boolean } };
    assert.deepEqual([show.artifact.id, show.artifact.following], ["v1", false]);
    assert.match(restored.webview.html, /Content-Security-Policy/);
  });

  it("after a reload, a tab of a deleted version shows its key's latest; a tab of a key that no longer exists closes itself with a one-line note", async () => {
    const gone = f.vscode.window.createWebviewPanel("flowline.artifact", "report", -1) as unknown as FakePanel;
    await panels.serializer().deserializeWebviewPanel(gone as never, { artifactId: "no-such-version", key: "report", following: false });
    gone.receive({ type: "ready" });
    await tick();
    assert.equal(gone.disposed, false);
    const show = gone.posted[0] as unknown as { artifact: { id: string; following: boolean } };
    assert.deepEqual([show.artifact.id, show.artifact.following], ["v2", true]);

    const before = f.messages.length;
    const orphan = f.vscode.window.createWebviewPanel("flowline.artifact", "old-report", -1) as unknown as FakePanel;
    await panels.serializer().deserializeWebviewPanel(orphan as never, { artifactId: "x1", key: "old-report", following: true });
    assert.equal(orphan.disposed, true);
    assert.deepEqual(f.messages.slice(before).map((m) => [m.level, m.text]), [["info", "Flowline: closed the tab of 'old-report', which no longer exists."]]);
  });
});
