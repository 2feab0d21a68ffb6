import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ArtifactsTreeProvider } from "../../src/extension/artifacts/tree";
import { EventLoopMeasure, type EventLoopReport } from "../../src/extension/event-loop-measure";
import { HomeSizeMonitor, RETENTION_OFFERED_KEY } from "../../src/extension/home-size";
import { RunManager } from "../../src/extension/run-manager";
import { RUNS_CLICK_COMMAND, RunsTreeProvider, taskRunsDone } from "../../src/extension/runs-tree";
import type { StoreService } from "../../src/extension/store-service";
import type { ExtensionContext, TreeItem } from "../../src/extension/vscode-types";

import { fakeContext, fakeVscode, testStoreService } from "../fake-vscode";
import { bigId, writeHistory } from "./helpers/big-home";
import { ensureBuilt } from "./helpers/build";

// The extension over homes with history, read through the store in its worker thread (the built
// dist/store-worker.js, as the extension starts it): a run's task runs paged in the Flow Runs tree, the
// home's size and the offer to turn retention on, and folding that never holds up the editor's thread.

const disposable = { dispose() {} };
/** A fresh workspace's state (what the offer remembers). */
const workspaceState = () => (fakeContext(os.tmpdir()) as ExtensionContext).workspaceState;

describe("extension: big homes, read through the store's worker", function () {
  this.timeout(120_000);
  let home: string;
  let store: StoreService;

  before(ensureBuilt);
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ext-scale-"));
  });
  afterEach(async () => {
    await store?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const noRuns = () => new RunManager({ environment: () => { throw new Error("no runs here"); }, store, log: console as never, flowlineDirs: [], isTrusted: () => false });

  it('lists a flow run\'s first 100 task runs; "Show 100 more…" adds the next 100 (a run of 250)', async () => {
    writeHistory(home, { flowRuns: 1, taskRunsPerRun: 250 });
    store = testStoreService(() => home);
    await store.sync();
    const fake = fakeVscode();
    const runs = noRuns();
    const tree = new RunsTreeProvider(fake.vscode, store, runs, () => 100);
    try {
      const [flow] = await tree.getChildren();
      assert.match(String((await tree.getTreeItem(flow)).description), / · 250 of 250 task runs done · /);
      const page = async () => {
        const children = await tree.getChildren(flow);
        const items = await Promise.all(children.map((n) => tree.getTreeItem(n)));
        return { children, tasks: items.filter((_, i) => children[i].kind === "taskRun").map((i) => i.label), more: items.filter((_, i) => children[i].kind === "more") };
      };
      let shown = await page();
      assert.deepEqual(shown.tasks, Array.from({ length: 100 }, (_, i) => `step-${i}`));
      assert.equal(shown.children.at(-1)?.kind, "more", "the item comes after the task runs listed");
      let more = shown.more[0] as TreeItem & { command: { command: string; arguments?: unknown[] } };
      assert.deepEqual([more.label, more.description], ["Show 100 more…", "100 of 250 task runs listed"]);
      assert.equal(more.command.command, RUNS_CLICK_COMMAND);
      const clickMore = () => tree.click(shown.children.find((n) => n.kind === "more")!);

      let changed = 0;
      tree.onDidChangeTreeData(() => changed++);
      await clickMore();
      assert.equal(changed, 1, "the tree is told to read again");
      shown = await page();
      assert.deepEqual(shown.tasks, Array.from({ length: 200 }, (_, i) => `step-${i}`));
      more = shown.more[0] as typeof more;
      assert.deepEqual([more.label, more.description], ["Show 50 more…", "200 of 250 task runs listed"]);

      await clickMore();
      shown = await page();
      assert.deepEqual(shown.tasks, Array.from({ length: 250 }, (_, i) => `step-${i}`));
      assert.deepEqual(shown.more, [], "all listed: no more item");
    } finally {
      tree.dispose();
      runs.dispose();
    }
  });

  it("reveals a task run beyond the pages listed by listing enough pages", async () => {
    writeHistory(home, { flowRuns: 1, taskRunsPerRun: 250 });
    store = testStoreService(() => home);
    await store.sync();
    const runs = noRuns();
    const tree = new RunsTreeProvider(fakeVscode().vscode, store, runs, () => 100);
    try {
      const node = await tree.nodeFor(bigId(1, 0), bigId(7, 230));
      assert.equal(node.kind === "taskRun" && node.run.name, "step-230");
      const [flow] = await tree.getChildren();
      const children = await tree.getChildren(flow);
      assert.equal(children.filter((c) => c.kind === "taskRun").length, 250, "the page holding it is listed, so VS Code can find it");
    } finally {
      tree.dispose();
      runs.dispose();
    }
  });

  it('lists the newest 1,000 unkeyed artifacts, then "Show 1000 more…"', async () => {
    writeHistory(home, { flowRuns: 3, taskRunsPerRun: 0, artifactsPerRun: 350, unkeyedEvery: 1 });
    store = testStoreService(() => home);
    await store.sync();
    const tree = new ArtifactsTreeProvider(fakeVscode().vscode, { peek: () => store.peek() });
    try {
      const [unkeyed] = await tree.getChildren();
      const count = async () => {
        const groups = await tree.getChildren(unkeyed);
        const runs = groups.filter((g) => g.kind === "run");
        const more = groups.filter((g) => g.kind === "more").map((g) => tree.getTreeItem(g) as unknown as TreeItem);
        return { artifacts: runs.reduce((n, g) => n + (g.kind === "run" ? g.artifacts.length : 0), 0), more };
      };
      let shown = await count();
      assert.equal(shown.artifacts, 1000);
      assert.deepEqual(shown.more.map((i) => [i.label, i.description]), [["Show 1000 more…", "1000 newest shown"]]);
      const groups = await tree.getChildren(unkeyed);
      await tree.click(groups.find((g) => g.kind === "more")!, async () => undefined);
      shown = await count();
      assert.equal(shown.artifacts, 1050);
      assert.deepEqual(shown.more, []);
    } finally {
      tree.dispose();
    }
  });

  it("a run's logs document names the task runs that logged, past the first page of task runs too", async () => {
    writeHistory(home, { flowRuns: 1, taskRunsPerRun: 1200, logEvery: 550 });
    store = testStoreService(() => home);
    await store.sync();
    const text = await (await store.get()).logsText(bigId(1, 0));
    const lines = text.trim().split("\n");
    assert.equal(lines[0], "# Flow run 'run-0' of flow 'flow-0': Completed");
    assert.deepEqual(lines.slice(1).map((l) => l.replace(/^\S+ \| /, "")), ["INFO    | Task run 'step-0' - step 0 done", "INFO    | Task run 'step-550' - step 550 done", "INFO    | Task run 'step-1100' - step 1100 done"]);
  });

  it("automatic retention runs in the worker's sync with flowline.retentionDays, and a change of the setting reaches it", async () => {
    writeHistory(home, { flowRuns: 3, taskRunsPerRun: 2, end: new Date(Date.now() - 40 * 86_400_000), days: 1 });
    let days = 0;
    store = testStoreService(() => home, { retentionDays: () => days });
    await store.sync();
    assert.equal((await (await store.get()).listFlowRuns()).length, 3, "kept while retention is off");
    days = 30;
    await store.sync();
    assert.deepEqual(await (await store.get()).listFlowRuns(), [], "runs older than 30 days deleted");
  });

  it('says "N of M task runs done" from the counts by state, and nothing for a run without task runs', () => {
    const counts = (total: number, byState: Record<string, number>) => ({ taskRunCounts: { total, byState } });
    assert.equal(taskRunsDone(counts(1_000_000, { Completed: 12_000, Failed: 3, Running: 4, Pending: 987_993 })), "12,003 of 1,000,000 task runs done");
    assert.equal(taskRunsDone(counts(2, { Crashed: 1, Cancelled: 1 })), "2 of 2 task runs done");
    assert.equal(taskRunsDone(counts(1, { Running: 1 })), "0 of 1 task run done");
    assert.equal(taskRunsDone(counts(0, {})), "");
  });

  describe("the home's size and the retention offer", () => {
    const view = () => ({ description: undefined as string | undefined, visible: false, onDidChangeVisibility: () => disposable });

    it("shows the home's size in the Flow Runs view's description", async () => {
      writeHistory(home, { flowRuns: 2, taskRunsPerRun: 10, parameterBytes: 100_000 });
      store = testStoreService(() => home);
      await store.sync();
      const fake = fakeVscode();
      const shown = view();
      const monitor = new HomeSizeMonitor(fake.vscode, store, { view: shown, workspaceState: workspaceState(), retentionDays: () => 0 });
      await monitor.measure();
      monitor.dispose();
      assert.match(shown.description ?? "", /^home \d\.\d MB$/);
      assert.deepEqual(fake.messages, [], "below 1 GB nothing is offered");
    });

    it("past the threshold offers once per workspace to set flowline.retentionDays, and sets it only on the click", async () => {
      writeHistory(home, { flowRuns: 2, taskRunsPerRun: 10, parameterBytes: 100_000 });
      store = testStoreService(() => home);
      await store.sync();
      const overOneMB = { offerAboveBytes: 1024 * 1024 };
      // Dismissed: nothing changes, and it is not asked again in this workspace.
      const dismissed = fakeVscode({ workspaceFolder: home });
      const state = workspaceState();
      for (let i = 0; i < 2; i++) {
        const monitor = new HomeSizeMonitor(dismissed.vscode, store, { view: view(), workspaceState: state, retentionDays: () => 0, ...overOneMB });
        await monitor.measure();
        monitor.dispose();
      }
      assert.equal(dismissed.messages.length, 1, "asked once");
      assert.match(dismissed.messages[0].text, /^Flowline: the Flowline home takes \d\.\d MB\. Delete flow runs and artifacts older than 30 days automatically \(flowline\.retentionDays\)\?$/);
      assert.deepEqual(dismissed.messages[0].actions, ["Keep 30 Days", "Choose in Settings"]);
      assert.deepEqual(dismissed.updates, [], "never silently");
      assert.equal(state.get(RETENTION_OFFERED_KEY), true);

      // Accepted in another workspace: the setting is written there.
      const accepted = fakeVscode({ workspaceFolder: home, respond: (m) => m.actions[0] });
      const monitor = new HomeSizeMonitor(accepted.vscode, store, { view: view(), workspaceState: workspaceState(), retentionDays: () => 0, ...overOneMB });
      await monitor.measure();
      monitor.dispose();
      assert.deepEqual(accepted.updates, [{ key: "flowline.retentionDays", value: 30, target: 2 }]);

      // Retention already on: no offer.
      const on = fakeVscode({ workspaceFolder: home });
      const quiet = new HomeSizeMonitor(on.vscode, store, { view: view(), workspaceState: workspaceState(), retentionDays: () => 90, ...overOneMB });
      await quiet.measure();
      quiet.dispose();
      assert.deepEqual(on.messages, []);
    });
  });

  it("folds a 50 MB journal in the worker while the extension host's event loop keeps ticking", async () => {
    const bytes = writeHistory(home, { flowRuns: 100, taskRunsPerRun: 100, parameterBytes: 5000 });
    assert.ok(bytes > 50e6, `${bytes} bytes of journal`);
    store = testStoreService(() => home);
    // The main thread's ticks while the store opens and folds: a fold on this thread would be one long gap.
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 2);
    const started = performance.now();
    await store.sync();
    const took = performance.now() - started;
    clearInterval(timer);
    const flowRuns = await (await store.get()).listFlowRuns({ limit: 1000 });
    assert.equal(flowRuns.length, 100, "the journal was folded");
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
    const longest = Math.max(ticks[0] - started, ...gaps, performance.now() - (ticks.at(-1) ?? started));
    assert.ok(took > 300, `the fold was real work (${took.toFixed(0)} ms)`);
    assert.ok(longest < took / 4, `the longest gap between ticks was ${longest.toFixed(0)} ms of a ${took.toFixed(0)} ms fold`);
    assert.ok(ticks.length > took / 50, `${ticks.length} ticks in ${took.toFixed(0)} ms`);
  });

  it("FLOWLINE_MEASURE_EVENT_LOOP's report: a block of the event loop, Flowline's part of each block, memory, and the store's worker memory", async () => {
    const file = path.join(home, "loop.json");
    // "Flowline's files" here: a module of its own, whose function holds the loop for 150 ms.
    const ownFile = path.join(home, "own-code.js");
    fs.writeFileSync(ownFile, "exports.holdTheLoop = (ms) => { const t = Date.now(); while (Date.now() - t < ms) {} };\n");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { holdTheLoop } = require(ownFile) as { holdTheLoop: (ms: number) => void };
    const measure = new EventLoopMeasure(file, async () => ({ heapUsedBytes: 7, externalBytes: 8 }), (url) => url.includes("own-code.js"));
    await new Promise((r) => setTimeout(r, 100));
    const blockedAt = Date.now();
    holdTheLoop(150);
    await new Promise((r) => setTimeout(r, 300));
    // A block of someone else's (this test's own loop): the host's delay shows it, Flowline's part does not.
    const othersAt = Date.now();
    while (Date.now() - othersAt < 150) {
      // the event loop is held up here
    }
    await new Promise((r) => setTimeout(r, 2500)); // the profile of those seconds is read
    measure.dispose();
    const report = JSON.parse(fs.readFileSync(file, "utf8")) as EventLoopReport;
    assert.ok(report.maxMs >= 140, `max ${report.maxMs} ms`);
    const during = report.windows.filter(([t]) => t >= blockedAt).map(([, ms]) => ms);
    assert.ok(Math.max(...during) >= 140, `the second that held the block says so: ${JSON.stringify(report.windows)}`);
    const ours = report.own.filter((b) => b.endedAt >= blockedAt - 50 && b.endedAt <= othersAt);
    assert.equal(ours.length, 1, JSON.stringify(report.own));
    assert.ok(ours[0].flowlineMs >= 120 && ours[0].flowlineMs <= ours[0].totalMs + 1, JSON.stringify(ours[0]));
    assert.match(ours[0].top[0], /^(exports\.)?holdTheLoop \(own-code\.js:1:\d+\) \d/);
    assert.deepEqual(report.own.filter((b) => b.endedAt > othersAt && b.flowlineMs > 10), [], "the other block is not Flowline's");
    assert.ok(report.rssBytes > 0 && report.heapUsedBytes > 0 && report.externalBytes > 0 && report.rssAtActivationBytes > 0);
    assert.ok(report.p99Ms <= report.maxMs && report.meanMs > 0);
    assert.deepEqual(report.store, { heapUsedBytes: 7, externalBytes: 8 });
  });
});
