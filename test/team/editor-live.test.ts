import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RunManager, type RunLog } from "../../src/extension/run-manager";
import { RunsTreeProvider } from "../../src/extension/runs-tree";
import { resolveNodeRuntime } from "../../src/extension/settings";
import type { StoreService } from "../../src/extension/store-service";
import { fakeVscode, testStoreService } from "../fake-vscode";
import { ensureBuilt, waitFor } from "../faults/helpers";
import { freshDatabase } from "./cluster";
import { machine, type Machine } from "./team-helpers";

// The editor in team mode, as in extension-runs.test.ts but over PostgreSQL: its store service reads the
// team database, and its trees refresh when PostgreSQL notifies a commit (LISTEN/NOTIFY), with no file
// to watch and no polling.

describe("team mode in the editor", function () {
  this.timeout(120_000);
  let url: string;
  let other: Machine;
  let here: Machine;
  let store: StoreService;
  let runs: RunManager;
  let tree: RunsTreeProvider;

  before(async () => {
    ensureBuilt();
    url = await freshDatabase();
    other = machine("other", url, ["report.ts"]);
    here = machine("here", url, ["report.ts"]);
    const home = here.env.FLOWLINE_HOME;
    const log = Object.fromEntries(["debug", "info", "warn", "error"].map((l) => [l, () => undefined])) as unknown as RunLog;
    store = testStoreService(() => home, { databaseUrl: () => url });
    runs = new RunManager({
      environment: () => ({ home, node: resolveNodeRuntime(""), env: { FLOWLINE_DATABASE_URL: url, MACHINE: "here" }, cancelGraceSeconds: 2, cwd: here.dir }),
      store,
      log,
      flowlineDirs: [path.resolve(__dirname, "..", "..")],
      isTrusted: () => true,
    });
    tree = new RunsTreeProvider(fakeVscode().vscode, store, runs, () => 100);
  });

  after(async () => {
    tree.dispose();
    runs.dispose();
    await store.close();
  });

  it("shows a run that another machine started, told by the database, without a refresh", async () => {
    assert.deepEqual(await tree.getChildren(), []);
    let changes = 0;
    tree.onDidChangeTreeData(() => changes++);
    const run = await other.json<{ flowRun: { id: string; name: string } }>(["run", "report.ts", "--param", "who=eve"]);
    await waitFor(() => changes > 0, 10_000, "the tree to be told of the other machine's run");
    const items = await Promise.all((await tree.getChildren()).map((n) => tree.getTreeItem(n)));
    assert.deepEqual(items.map((i) => i.label), ["report"]);
    assert.equal(fs.existsSync(path.join(here.env.FLOWLINE_HOME, "flowline.db")), false, "no local database in team mode");
    const detail = await (await store.get()).getFlowRun(run.flowRun.id);
    assert.equal(detail.flowRun.name, run.flowRun.name);
  });

  it("a run started from the editor goes to the team database, and the other machine sees it", async () => {
    const outcome = await runs.start({ file: path.join(here.dir, "report.ts"), target: "report", label: "report", parameters: { who: "fay" } }).done;
    assert.equal(outcome.state.type, "Completed");
    const seen = await other.json<{ flowRun: { state: string }; taskRuns: Array<{ taskName: string }> }>(["runs", "inspect", outcome.flowRunId as string]);
    assert.equal(seen.flowRun.state, "Completed");
    assert.deepEqual(seen.taskRuns.map((t) => t.taskName), ["square", "tabulate"]);
  });
});

