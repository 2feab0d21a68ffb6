// Runs list their artifacts (issue 15, item 10; Prefect issue #9042): `runs inspect` names each artifact's
// key, type and version, and the Flow Runs tree has them under the flow run and task run that made them.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { RunManager, type RunLog } from "../../src/extension/run-manager";
import { OPEN_ARTIFACT_COMMAND, RUNS_CLICK_COMMAND, RunsTreeProvider } from "../../src/extension/runs-tree";
import { resolveNodeRuntime } from "../../src/extension/settings";
import { fakeVscode, testStoreService } from "../fake-vscode";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";

const FIXTURE = path.join(__dirname, "..", "fixtures", "prefect", "report.ts");

describe("runs list their artifacts", function () {
  this.timeout(120_000);
  let dir: string;
  let flowRunId: string;
  before(async () => {
    ensureBuilt();
    dir = tempDir("run-artifacts");
    fs.copyFileSync(FIXTURE, path.join(dir, "report.ts"));
    const run = await cli(["run", "report.ts", "--json"], dir);
    assert.equal(run.code, 0, show(run));
    flowRunId = (JSON.parse(run.stdout) as { flowRun: { id: string } }).flowRun.id;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs inspect lists each artifact's key, type and version, in text and in --json", async () => {
    const text = await cli(["runs", "inspect", flowRunId], dir);
    assert.equal(text.code, 0, show(text));
    assert.match(text.stdout, /Artifacts \(4\)\n.*KEY\s+TYPE\s+VERSION/);
    const rows = text.stdout.split("\n").filter((l) => /^[0-9a-f]{8}\s/.test(l)).map((l) => l.split(/\s{2,}/).slice(1, 4));
    assert.deepEqual(rows.sort(), [["-", "link", "-"], ["orders", "table", "1 of 2"], ["orders", "table", "2 of 2"], ["summary", "markdown", "1 of 1"]]);
    const json = await cli(["runs", "inspect", flowRunId, "--json"], dir);
    const artifacts = (JSON.parse(json.stdout) as { artifacts: Array<{ key: string | null; type: string; version: number | null }> }).artifacts;
    assert.deepEqual(artifacts.map((a) => [a.key, a.type, a.version]).sort(), [["orders", "table", 1], ["orders", "table", 2], ["summary", "markdown", 1], [null, "link", null]].sort());
  });

  it("the Flow Runs tree has the flow run's artifacts under it and the task's under its task run, each opening its panel", async () => {
    const fake = fakeVscode({ workspaceFolder: dir });
    const opened: unknown[] = [];
    fake.vscode.commands.registerCommand(OPEN_ARTIFACT_COMMAND, (id: unknown) => void opened.push(id));
    const home = path.join(dir, ".flowline");
    const store = testStoreService(() => home, { syncDelayMs: 50 });
    const log = Object.fromEntries(["debug", "info", "warn", "error"].map((l) => [l, () => undefined])) as unknown as RunLog;
    const runs = new RunManager({ environment: () => ({ home, node: resolveNodeRuntime(""), env: {}, cancelGraceSeconds: 2, cwd: dir }), store, log, flowlineDirs: [], isTrusted: () => true });
    const tree = new RunsTreeProvider(fake.vscode, store, runs, () => 100);
    try {
      const [flowRun] = await tree.getChildren();
      const children = await tree.getChildren(flowRun);
      const items = await Promise.all(children.map((n) => tree.getTreeItem(n)));
      const labels = items.map((i) => String(i.label));
      assert.deepEqual(labels.slice(0, 1), ["extract-0"]);
      assert.deepEqual(labels.slice(1).sort(), ["link artifact", "summary"], "the flow run's own artifacts");
      const artifactItems = items.slice(1);
      // A click on an artifact opens its panel (the item's command reads the clicked item, with no arguments).
      for (const item of artifactItems) assert.equal(item.command?.command, RUNS_CLICK_COMMAND);
      for (const node of children.slice(1)) await tree.click(node);
      assert.equal(opened.length, 2);
      const taskNodes = await tree.getChildren(children[0]);
      const taskChildren = await Promise.all(taskNodes.map((n) => tree.getTreeItem(n)));
      assert.deepEqual(taskChildren.map((i) => String(i.label)), ["orders", "orders"], "the task run's two versions of its key");
      assert.ok(taskChildren.every((i) => i.command?.command === RUNS_CLICK_COMMAND));
      for (const node of taskNodes) await tree.click(node);
      assert.equal(new Set(opened.slice(2)).size, 2, "each version opens its own artifact");
      assert.ok(opened.every((id) => typeof id === "string"));
    } finally {
      tree.dispose();
      runs.dispose();
      await store.close();
    }
  });
});
