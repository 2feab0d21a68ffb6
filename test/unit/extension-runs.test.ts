import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunManager, type ActiveRun, type RunLog, type RunSpec } from "../../src/extension/run-manager";
import { RunsTreeProvider } from "../../src/extension/runs-tree";
import { endedSummary, progressText, runSummary } from "../../src/extension/runs-model";
import { RunUi } from "../../src/extension/run-ui";
import { readSettings, resolveNodeRuntime } from "../../src/extension/settings";
import type { StoreService } from "../../src/extension/store-service";
import { fakeContext, fakeVscode, testStoreService } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";

// The extension's runs with real child processes, as in the editor but without it: the run manager
// (src/runner underneath), the store service and its watcher on the home folder.

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "e2e");

function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`Timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe("extension: runs with real processes", function () {
  this.timeout(60_000);
  before(ensureBuilt);
  let ws: string;
  let home: string;
  let store: StoreService;
  let runs: RunManager;
  let lines: string[];

  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ext-runs-"));
    fs.cpSync(FIXTURES, ws, { recursive: true });
    home = path.join(ws, ".flowline");
    lines = [];
    const log: RunLog = Object.fromEntries(["debug", "info", "warn", "error"].map((level) => [level, (m: string) => lines.push(`${level}: ${m}`)])) as unknown as RunLog;
    store = testStoreService(() => home, { onWarning: (m) => lines.push(`store warning: ${m}`), syncDelayMs: 50 });
    runs = new RunManager({
      environment: () => ({ home, node: resolveNodeRuntime(""), env: {}, cancelGraceSeconds: 2, cwd: ws }),
      store,
      log,
      flowlineDirs: [ROOT],
      isTrusted: () => true,
    });
  });

  afterEach(async () => {
    runs.dispose();
    await store.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const spec = (file: string, target: string, parameters: Record<string, unknown> = {}): RunSpec => ({ file: path.join(ws, file), target, label: target, parameters });

  async function whenTaskRunning(run: ActiveRun): Promise<void> {
    await until(() => run.tasksStarted > 0 && run.currentTask !== undefined, 30_000, "the task to run");
    // The task registers its abort listener as it starts; give it a moment.
    await new Promise((r) => setTimeout(r, 200));
  }

  it("streams a run's logs and ends Completed; the store has it with its task runs", async () => {
    const events: string[] = [];
    runs.onDidStart(() => events.push("start"));
    runs.onDidEnd(({ outcome }) => events.push(`end ${outcome.state.type}`));
    const run = runs.start(spec("hello.ts", "hello", { name: "unit" }));
    assert.equal(runs.activeFor(run.spec), run);
    const outcome = await run.done;
    assert.equal(outcome.state.type, "Completed");
    assert.ok(lines.includes("info: Task run 'greet-0' - Hello, unit!"), lines.join("\n"));
    assert.deepEqual(events, ["start", "end Completed"]);
    assert.equal(runs.active().length, 0);
    assert.equal(runs.lastOutcome(run.spec)?.flowRunId, outcome.flowRunId);
    const detail = await (await store.get()).getFlowRun(outcome.flowRunId as string);
    assert.equal(detail.flowRun.state.type, "Completed");
    assert.deepEqual(detail.taskRuns.map((t) => t.name), ["greet-0", "shout-0"]);
  });

  it("lists a run Running from its process's reports before anything is stored, worded as the lens and the status bar word it", async () => {
    const tree = new RunsTreeProvider(fakeVscode().vscode, store, runs, () => 100);
    const run = runs.start(spec("slow.ts", "slow"));
    await whenTaskRunning(run);
    const live = run.live.snapshot!;
    const [node] = await tree.getChildren();
    assert.equal(node.kind === "flowRun" && node.run.id, live.id);
    assert.equal(node.kind === "flowRun" && node.run.state.type, "Running");
    const now = Date.now();
    const described = String((await tree.getTreeItem(node)).description);
    // The tree's words for the run are the lens's and the status bar's (progressText): one summary.
    assert.ok(described.startsWith(`${live.name} · Running · `), described);
    assert.match(described, / · 0 of 1 task run done · /);
    assert.ok(progressText(run, now).startsWith(runSummary(live, now)), progressText(run, now));
    run.cancel();
    const outcome = await run.done;
    // One duration: the status bar's and the lens's is the stored run's, first Running to its end.
    const stored = (await (await store.get()).getFlowRun(outcome.flowRunId!)).flowRun;
    assert.equal(outcome.durationMs, Date.parse(stored.endTime!) - Date.parse(stored.startTime!));
    assert.equal(endedSummary(outcome), runSummary(stored));
    tree.dispose();
  });

  it("opens the Output for a started run once the Flow Runs tree has listed it Running (the row first), or when the tree does not ask", async () => {
    const fake = fakeVscode();
    const tree = new RunsTreeProvider(fake.vscode, store, runs, () => 100);
    const opened: string[] = [];
    const output = { ...fake.vscode.window.createOutputChannel("Flowline", { log: true }), show: () => void opened.push("output") };
    const ui = new RunUi(fake.vscode, runs, output as never, () => readSettings(() => undefined), () => [ws], (r) => tree.listed(r.id, 60_000));
    const run = runs.start(spec("slow.ts", "slow"));
    // VS Code asks for the rows when the tree says it changed: first the run "starting…", before its
    // process has reported; the Output waits for the row its process reported.
    const [starting] = await tree.getChildren();
    assert.equal(starting.kind === "flowRun" && starting.run.state.type, "Pending");
    await until(() => run.live.snapshot !== undefined, 30_000, "the run's process to report");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(opened.length, 0, "the Output opened before the tree listed the run Running");
    const [row] = await tree.getChildren();
    assert.equal(row.kind === "flowRun" && row.run.state.type, "Running");
    opened.push("listed");
    await until(() => opened.length === 2, 10_000, "the Output to open");
    assert.deepEqual(opened, ["listed", "output"]);
    ui.dispose();
    // A tree that is never asked (a hidden view) holds the Output back no longer than the bound.
    const again = new RunUi(fake.vscode, runs, output as never, () => readSettings(() => undefined), () => [ws], (r) => tree.listed(r.id, 200));
    const second = runs.start(spec("slow.ts", "slow"));
    await until(() => opened.length === 3, 10_000, "the Output to open without the tree");
    for (const r of [run, second]) r.cancel();
    await Promise.all([run.done, second.done]);
    for (const d of [again, tree]) d.dispose();
  });

  it("a busy run's row follows its reports through VS Code's debounce of tree changes (200 ms, restarted by each change)", async () => {
    fs.copyFileSync(path.join(ROOT, "test", "fixtures", "editor", "busy.ts"), path.join(ws, "busy.ts"));
    const tree = new RunsTreeProvider(fakeVscode().vscode, store, runs, () => 100);
    // What ExtHostTreeView does with onDidChangeTreeData: the first change after a quiet 200 ms reads the
    // tree at once; a change within 200 ms of the last restarts the wait, and the tree is read when it ends.
    const counts: number[] = [];
    const read = () => void tree.getChildren().then(([row]) => row?.kind === "flowRun" && row.run.state.type === "Running" && counts.push(row.run.taskRunCounts.total));
    let timer: NodeJS.Timeout | undefined;
    let waiting = 0;
    tree.onDidChangeTreeData(() => {
      if (!timer) read();
      else waiting++;
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (waiting > 0) read();
        waiting = 0;
      }, 200);
    });
    const run = runs.start(spec("busy.ts", "busy"));
    await until(() => run.tasksStarted >= 60, 30_000, "60 task runs");
    run.cancel();
    await run.done;
    clearTimeout(timer);
    tree.dispose();
    // Read while it ran, again and again: the task counter went up between reads.
    assert.ok(new Set(counts).size >= 3, `the tree was read with the run Running only with these task counts: ${JSON.stringify(counts)}`);
  });

  it("shows runs in the Flow Runs tree: newest first, state icons in theme colours, task runs under their flow run", async () => {
    const tree = new RunsTreeProvider(fakeVscode().vscode, store, runs, () => 100);
    assert.deepEqual(await tree.getChildren(), [], "an empty home shows the welcome view (and is not created)");
    assert.equal(fs.existsSync(home), false);
    await runs.start(spec("hello.ts", "hello")).done;
    await runs.start(spec("failing.ts", "failing")).done;
    const roots = await tree.getChildren();
    const items = await Promise.all(roots.map((n) => tree.getTreeItem(n)));
    assert.deepEqual(items.map((i) => [i.label, (i.iconPath as { id: string; color: { id: string } }).color.id, i.contextValue]), [
      ["failing", "testing.iconFailed", "flowRun rerunnable"],
      ["say-hello", "testing.iconPassed", "flowRun rerunnable"],
    ]);
    assert.match(String(items[0].description), /^\S+ · Failed: Flow run encountered an exception: Error: value 1 is too big · \d/);
    const tasks = await Promise.all((await tree.getChildren(roots[1])).map((n) => tree.getTreeItem(n)));
    assert.deepEqual(tasks.map((t) => t.accessibilityInformation?.label), ["Task run greet-0, Completed", "Task run shout-0, Completed"]);
    tree.dispose();
  });

  it("points a failed run's error at the user's line", async () => {
    const outcome = await runs.start(spec("failing.ts", "failing")).done;
    assert.equal(outcome.state.type, "Failed");
    assert.equal(outcome.error?.message, "value 1 is too big");
    assert.deepEqual({ ...outcome.errorLocation, column: 0 }, { file: path.join(ws, "failing.ts"), line: 5, column: 0 });
  });

  it("cancels: the task sees its signal and the run ends Cancelled, in the store too", async () => {
    const run = runs.start(spec("slow.ts", "slow"));
    await whenTaskRunning(run);
    run.cancel();
    const outcome = await run.done;
    assert.equal(outcome.state.type, "Cancelled");
    assert.equal(outcome.exitCode, 130);
    assert.ok(fs.existsSync(path.join(ws, "aborted.txt")), "the task's AbortSignal fired");
    assert.equal((await (await store.get()).getFlowRun(outcome.flowRunId as string)).flowRun.state.type, "Cancelled");
  });

  it("marks a run whose process was killed as Crashed in the store", async () => {
    const run = runs.start(spec("slow.ts", "slow"));
    await whenTaskRunning(run);
    run.kill();
    const outcome = await run.done;
    assert.equal(outcome.state.type, "Crashed");
    const detail = await (await store.get()).getFlowRun(outcome.flowRunId as string);
    assert.equal(detail.flowRun.state.type, "Crashed");
    assert.equal(detail.taskRuns[0].state.type, "Crashed");
  });

  it("reruns a flow run from the tree with its file, flow and parameters, and the lens follows it", async () => {
    const fake = fakeVscode({ workspaceFolder: ws });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlowlineExtension } = require("../../src/extension/flowline-extension") as typeof import("../../src/extension/flowline-extension");
    const context = fakeContext(ROOT);
    const extension = new FlowlineExtension(fake.vscode, context);
    try {
      const ended = () => new Promise<string | undefined>((resolve) => extension.runs.onDidEnd(({ outcome }) => resolve(outcome.flowRunId)));
      let done = ended();
      await fake.commands.get("flowline.runFlowWithParameters")?.(undefined);
      assert.equal(extension.runs.active().length, 0, "nothing runs without a pick");
      await fake.commands.get("flowline.runFlow")?.({ file: path.join(ws, "hello.ts"), target: "hello", label: "hello", defaults: {}, names: [], open: false });
      const first = await done;
      const stored = (await (await extension.services.store.get()).getFlowRun(first as string)).flowRun;
      assert.equal(stored.file, path.join(ws, "hello.ts"));
      done = ended();
      await fake.commands.get("flowline.rerunLastFlowRun")?.({ kind: "flowRun", run: { ...stored, parameters: { name: "again" } } });
      const rerun = extension.runs.active()[0];
      assert.deepEqual([rerun.spec.target, rerun.spec.parameters], ["hello", { name: "again" }]);
      await done;
      assert.ok(fake.output.includes("[info] Task run 'greet-0' - Hello, again!"), fake.output.join("\n"));
    } finally {
      await extension.store.close();
      for (const d of (context as { subscriptions: Array<{ dispose(): unknown }> }).subscriptions) d.dispose();
    }
  });

  it("says why a run could not start", async () => {
    const outcome = await runs.start(spec("hello.ts", "nope")).done;
    assert.equal(outcome.exitCode, 2);
    assert.match(outcome.message ?? "", /has no flow 'nope'/);
    assert.ok(lines.some((l) => l.startsWith("error: Flow 'nope' could not start")), lines.join("\n"));
  });

  it("hears about a run started by another process (a terminal) once watching, even before the home existed", async () => {
    let changes = 0;
    store.onDidChange(() => changes++);
    store.watch();
    const cli = spawn(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", "hello.ts"], { cwd: ws, env: { ...process.env, FLOWLINE_HOME: home }, stdio: "ignore" });
    const code = await new Promise<number | null>((resolve) => cli.on("exit", resolve));
    assert.equal(code, 0);
    let found = 0;
    await until(() => {
      if (changes > 0) void store.peek().then(async (s) => (found = (await s?.listFlowRuns())?.length ?? 0));
      return found === 1;
    }, 20_000, "the terminal's run to reach the store service");
  });
});

describe("extension: a flow process started ahead (flowline.warmStart)", function () {
  this.timeout(60_000);
  before(ensureBuilt);
  let ws: string;
  let store: StoreService;
  let runs: RunManager;
  let lines: string[];
  let warmStart: boolean;
  let env: Record<string, string>;

  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ext-warm-"));
    // The flow says which process ran it and what environment it saw.
    fs.writeFileSync(
      path.join(ws, "who.ts"),
      'import { flow } from "flowline";\nexport const who = flow({ name: "who" }, async () => {\n  console.log(`pid=${process.pid} mode=${process.env.MODE ?? "-"} marker=${process.env.FLOWLINE_WARM_CHILD ?? "none"}`);\n});\n',
    );
    const home = path.join(ws, ".flowline");
    lines = [];
    warmStart = true;
    env = { MODE: "first" };
    const log: RunLog = Object.fromEntries(["debug", "info", "warn", "error"].map((level) => [level, (m: string) => lines.push(`${level}: ${m}`)])) as unknown as RunLog;
    store = testStoreService(() => home, { onWarning: (m) => lines.push(`store warning: ${m}`), syncDelayMs: 50 });
    runs = new RunManager({
      environment: () => ({ home, node: resolveNodeRuntime(""), env: { ...env }, cancelGraceSeconds: 2, cwd: ws }),
      store,
      log,
      flowlineDirs: [ROOT],
      isTrusted: () => true,
      warmStart: () => warmStart,
    });
  });

  afterEach(async () => {
    runs.dispose();
    await store.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const who = (): RunSpec => ({ file: path.join(ws, "who.ts"), target: "who", label: "who", parameters: {} });
  const ranIn = () => lines.map((l) => /pid=(\d+) mode=(\S+) marker=(\S+)/.exec(l)).filter((m) => m !== null).map((m) => ({ pid: Number(m[1]), mode: m[2], marker: m[3] }));
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it("runs the next flow in the process started ahead, then starts another for the run after", async () => {
    runs.warmUp(who().file);
    // Its pid comes once the spawn thread has started it.
    await until(() => runs.warmPid !== undefined, 10_000, "a process waiting");
    const warm = runs.warmPid;
    const outcome = await runs.start(who()).done;
    assert.equal(outcome.state.type, "Completed", lines.join("\n"));
    assert.deepEqual(ranIn(), [{ pid: warm, mode: "first", marker: "none" }], "it ran in the waiting process, which hides its own marker");
    await until(() => runs.warmPid !== undefined, 10_000, "a process for the next run");
    const next = runs.warmPid as number;
    assert.notEqual(next, warm);
    runs.dispose();
    await until(() => !alive(next), 5000, "the waiting process to end with the window");
  });

  it("does not use a process started for other settings, and starts none when the setting is off", async () => {
    runs.warmUp(who().file);
    await until(() => runs.warmPid !== undefined, 10_000, "a process waiting");
    const stale = runs.warmPid as number;
    env = { MODE: "second" };
    assert.equal((await runs.start(who()).done).state.type, "Completed", lines.join("\n"));
    const [ran] = ranIn();
    assert.notEqual(ran.pid, stale, "a process started with other settings is not used");
    assert.equal(ran.mode, "second", "the run sees the settings of when it was started");

    await until(() => runs.warmPid !== undefined && runs.warmPid !== stale, 10_000, "a process for the new settings");
    await until(() => !alive(stale), 5000, "the unused process to end");
    warmStart = false;
    runs.dispose();
    runs.warmUp(who().file);
    assert.equal(runs.warmPid, undefined);
  });
});
