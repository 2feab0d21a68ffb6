// The extension in a real VS Code (code-server, see test/e2e/code-server.ts), each figure against a
// baseline measured in the same run:
// - activation: VS Code's own "Activation" figure (Running Extensions) for Flowline and for an empty
//   extension activated by the same event, plus Flowline's own timing of its code (FLOWLINE_BENCH);
// - Run click to first task: from the CodeLens click to the moment the flow's first task starts, against
//   `flowline run` of the same file in a terminal (process start to first task), and against the same
//   click in one more session with flowline.warmStart off (each run's process started at the click).
// Run with tsx (it imports the TypeScript harness): node --import tsx bench/extension.mjs [sessions] [clicks]
// Prints one JSON line with medians in ms.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, median, tempDir } from "./lib.mjs";
import { ensureCodeServer, packageVsix, sleep, startSession, stopAll } from "../test/e2e/code-server.ts";
import { lens, openFile, runCommand, showFlowRuns } from "../test/e2e/workbench.ts";

const SESSIONS = Number(process.argv[2] ?? 3);
const CLICKS = Number(process.argv[3] ?? 5);
const watchdog = setTimeout(() => {
  process.stderr.write("bench/extension: took over 20 minutes; stopping.\n");
  void stopAll().finally(() => process.exit(1));
}, 20 * 60_000);
watchdog.unref();

const work = tempDir("flowline-bench-ext-");
const fixture = path.join(work, "fixture");
fs.mkdirSync(fixture);
// The first task writes the time it started; both the editor's run and the CLI's run start in the folder.
fs.writeFileSync(
  path.join(fixture, "bench.ts"),
  `import * as fs from "node:fs";\nimport { flow, task } from "flowline";\n\nconst first = task({ name: "first" }, async () => {\n  fs.writeFileSync("first-task.txt", String(Date.now()));\n});\n\nexport const bench = flow({ name: "bench" }, async () => {\n  await first();\n});\n`,
);

/**
 * An extension that does nothing, activated by the same event: the floor for VS Code's activation figure.
 * The event is opening the Flow Runs view (not opening a .ts file, which also starts the TypeScript
 * server and would make both figures mostly about sharing two cores with it).
 */
function baselineVsix() {
  const dir = path.join(work, "baseline");
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: "baseline", displayName: "Bench Baseline", publisher: "flowline-bench", version: "0.0.1", license: "MIT", engines: { vscode: "^1.100.0" }, main: "./extension.js", activationEvents: ["onView:flowline.runs"] };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest));
  fs.writeFileSync(path.join(dir, "README.md"), "Benchmark baseline: an empty extension.\n");
  fs.writeFileSync(path.join(dir, "LICENSE"), "MIT\n");
  fs.writeFileSync(path.join(dir, "extension.js"), `exports.activate = () => {};\n`);
  const out = path.join(work, "baseline.vsix");
  const vsce = path.join(ROOT, "node_modules", "@vscode", "vsce", "vsce");
  execFileSync(process.execPath, [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--out", out], { cwd: dir, stdio: "ignore" });
  return out;
}

/** "Activation: 12ms" for each extension in VS Code's Running Extensions editor. */
async function activationTimes(page) {
  await runCommand(page, "Developer: Show Running Extensions");
  const rows = page.locator(".runtime-extensions-editor .monaco-list-row");
  await rows.first().waitFor();
  const times = {};
  for (const row of await rows.all()) {
    const name = await row.locator(".name").innerText();
    const m = /([\d.]+)\s*ms/.exec(await row.locator(".activation-time").innerText());
    if (m) times[name] = Number(m[1]);
  }
  return times;
}

async function waitForFile(file, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const text = fs.readFileSync(file, "utf8");
      if (text) return Number(text);
    } catch {
      // not yet
    }
    await sleep(5);
  }
  throw new Error(`${file} did not appear within ${timeoutMs} ms`);
}

function cliFirstTask(workspace, mark) {
  fs.rmSync(mark, { force: true });
  const start = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", "bench.ts"], { cwd: workspace, stdio: "ignore", env: { ...process.env, FLOWLINE_HOME: "" } });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return waitForFile(mark, 30_000).then(async (t) => {
    await exited;
    return t - start;
  });
}

ensureCodeServer();
const vsix = packageVsix(path.join(work, "flowline.vsix"));
const baseline = baselineVsix();
const result = { sessions: SESSIONS, clicks: CLICKS, vscodeActivationMs: [], baselineActivationMs: [], ownLoadMs: [], ownActivateMs: [], artifactsActivateMs: [], ownCpuMs: [], clickColdMs: [], clickMs: [], cliMs: [], clickNoWarmMs: [] };
try {
  // The last session is the baseline for the click: flowline.warmStart off.
  for (let s = 0; s <= SESSIONS; s++) {
    const noWarm = s === SESSIONS;
    const benchFile = path.join(work, `bench-${s}.jsonl`);
    const settings = noWarm ? { "flowline.warmStart": false } : {};
    const session = await startSession({ vsix, extraVsix: [baseline], fixture, settings, env: { FLOWLINE_BENCH: benchFile } });
    try {
      const { page, workspace } = session;
      const mark = path.join(workspace, "first-task.txt");
      // Let the window finish starting, then activate both extensions by showing the Flow Runs view.
      await sleep(5000);
      await showFlowRuns(page);
      // The welcome content shows before activation ends; the extension's own timings come at its end.
      const deadline = Date.now() + 60_000;
      while (!fs.existsSync(benchFile) || !fs.readFileSync(benchFile, "utf8").includes("activate-artifacts")) {
        if (Date.now() > deadline) throw new Error("Flowline did not activate within 60 s of showing its view");
        await sleep(50);
      }
      // Flowline's own timings: loading its modules, then activate() (runs part and artifacts part).
      let activate = 0;
      let cpu = 0;
      for (const line of fs.readFileSync(benchFile, "utf8").trim().split("\n")) {
        const { event, ms, cpuMs } = JSON.parse(line);
        if (event === "load") result.ownLoadMs.push(ms);
        else activate += ms;
        if (event === "activate-artifacts") result.artifactsActivateMs.push(ms);
        cpu += cpuMs;
      }
      result.ownActivateMs.push(activate);
      result.ownCpuMs.push(cpu);
      const times = await activationTimes(page);
      result.vscodeActivationMs.push(times.Flowline);
      result.baselineActivationMs.push(times["Bench Baseline"]);
      await openFile(page, "bench.ts");
      // A run has ended when the Flow Runs tree (still shown in the side bar) lists it Completed: the lens
      // alone cannot tell, as ▶ Run flow stays on screen until VS Code asks for lenses again.
      const completed = page.locator(".pane-body").getByRole("treeitem", { name: /^Flow run bench \S+, Completed$/ });
      let runsDone = 0;
      const ended = async () => {
        runsDone++;
        const deadline = Date.now() + 60_000;
        while ((await completed.count()) < runsDone) {
          if (Date.now() > deadline) throw new Error(`run ${runsDone} did not show as Completed in the Flow Runs tree`);
          await sleep(50);
        }
      };
      for (let i = 0; i <= CLICKS; i++) {
        fs.rmSync(mark, { force: true });
        // A user's pause between runs, in which the extension starts the next run's process.
        if (i > 0) await sleep(2000);
        await lens(page, "Run flow").waitFor({ timeout: 60_000 });
        const start = Date.now();
        await lens(page, "Run flow").click();
        const ms = (await waitForFile(mark, 60_000)) - start;
        if (process.env.BENCH_DEBUG) process.stderr.write(`click ${i} at ${new Date(start).toISOString()} first task +${ms} ms\n`);
        // The first click of a session also builds the flow file (esbuild starts cold) and opens the store.
        if (noWarm) {
          if (i > 0) result.clickNoWarmMs.push(ms);
          await ended();
          continue;
        }
        (i === 0 ? result.clickColdMs : result.clickMs).push(ms);
        await ended();
        if (i > 0) {
          result.cliMs.push(await cliFirstTask(workspace, mark));
          await ended();
        }
      }
    } catch (err) {
      await session.page.screenshot({ path: path.join(ROOT, "test-results", "bench-extension-failure.png") }).catch(() => undefined);
      throw err;
    } finally {
      await session.stop();
    }
  }
} finally {
  clearTimeout(watchdog);
  await stopAll();
  fs.rmSync(work, { recursive: true, force: true });
}
const out = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Array.isArray(v) ? median(v) : v]));
out.samples = result;
console.log(JSON.stringify(out));
