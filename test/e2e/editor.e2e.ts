// End to end, in a real VS Code (code-server 4.100.3) with the packaged .vsix installed, on the layout the
// README describes: a git repository whose examples/ folder the window opens, while a terminal runs
// `flowline run examples/...` from the repository's root. One code-server session for the file; every
// wait is bounded; a failure leaves a screenshot in test-results/.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, screenshotAfter, startPackagedSession, stopAll, suiteWatchdog, type Session } from "./code-server";
import { artifactKey, eventually, lens, openFile, outputLine, showFlowRuns, treeItem } from "./workbench";

describe("The editor and the terminal agree (code-server)", function () {
  this.timeout(120_000);
  let session: Session;
  let fixture: string;
  const disarm = suiteWatchdog("the editor suite", 20);

  before(async function () {
    this.timeout(20 * 60_000);
    fixture = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-e2e-repo-"));
    fs.mkdirSync(path.join(fixture, ".git"));
    fs.cpSync(path.join(ROOT, "examples"), path.join(fixture, "examples"), { recursive: true });
    fs.cpSync(path.join(ROOT, "test", "fixtures", "editor"), path.join(fixture, "examples"), { recursive: true });
    session = await startPackagedSession("editor", { fixture, folder: "examples", env: { FLOWLINE_HOME: "" } });
  });

  afterEach(function () {
    return screenshotAfter(this.currentTest, session?.page, "editor");
  });

  after(async function () {
    this.timeout(60_000);
    disarm();
    await stopAll();
    if (fixture) fs.rmSync(fixture, { recursive: true, force: true });
  });

  /** A user's shell in the repository's root: no FLOWLINE_HOME. */
  function shellEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    delete env.FLOWLINE_HOME;
    delete env.NODE_OPTIONS;
    return env;
  }
  const CLI = path.join(ROOT, "bin", "flowline.js");

  /** The time of the last "Starting flow" line of the Flowline Output channel's log file (local time). */
  function startLogged(dir: string): number {
    const logs = path.join(dir, "user-data", "logs");
    const files = fs.readdirSync(logs, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(path.join("flowline.flowline", "Flowline.log")));
    const lines = files.flatMap((f) => fs.readFileSync(path.join(logs, f), "utf8").split("\n")).filter((l) => l.includes("[info] Starting flow"));
    const at = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(lines.at(-1) ?? "");
    assert.ok(at, "the Output channel logged the start");
    return new Date(`${at[1]}T${at[2]}`).getTime();
  }

  it("a flow file opened before the types are set up ends with 0 problems (no \"Cannot find module 'flowline'\")", async () => {
    const { page, workspace } = session;
    await openFile(page, "cities.ts");
    // The types are set up by themselves for a file that imports "flowline": the mapping lands in tsconfig.json.
    await eventually(async () => fs.existsSync(path.join(workspace, "examples", "tsconfig.json")), 60_000, "the types to be set up");
    await page.keyboard.press("Control+Shift+M"); // the Problems panel
    const problems = page.locator(".statusbar-item[id='status.problems']");
    // The TypeScript server is restarted with the mapping: the file ends with no errors, and stays so.
    await problems.filter({ hasText: /^\D*0\D+0\D*$/ }).waitFor({ timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 8000));
    assert.match(await problems.innerText(), /^\D*0\D+0\D*$/, "0 errors, 0 warnings");
    assert.equal(await page.locator(".markers-panel .monaco-list-row", { hasText: "2307" }).count(), 0);
  });

  it("a terminal run from the repository root appears in the window opened on examples/", async () => {
    const { page, workspace } = session;
    await showFlowRuns(page);
    const run = spawnSync(process.execPath, [CLI, "run", "examples/hello_world.ts"], { cwd: workspace, env: shellEnv(), encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    await treeItem(page, /^Flow run my-flow \S+, Completed$/).waitFor({ timeout: 30_000 });
    assert.ok(fs.existsSync(path.join(workspace, ".flowline")), "the run is in the repository's .flowline");
  });

  it("one click on a freshly written artifact key opens its panel, while a run keeps the trees refreshing", async () => {
    const { page, workspace } = session;
    await showFlowRuns(page);
    const busy = spawn(process.execPath, [CLI, "run", "examples/busy.ts"], { cwd: workspace, env: shellEnv(), stdio: "ignore" });
    const ended = new Promise((resolve) => busy.once("exit", resolve));
    try {
      for (const n of [0, 1, 2]) {
        const key = `busy-report-${n}`;
        const item = artifactKey(page, key);
        await item.waitFor({ timeout: 30_000 });
        await item.locator(".label-name").first().click();
        await page.locator(".tabs-container .tab", { hasText: key }).first().waitFor({ timeout: 10_000 });
      }
      await ended;
      assert.equal(busy.exitCode, 0);
    } finally {
      busy.kill();
    }
  });

  /**
   * Times, in the page, the user's press of the mouse and the frame that first draws a Flow Runs row whose
   * accessible name matches each pattern: Playwright's checks before it presses and its polling after are
   * not part of what the user waits for. (A string: tsx would add helpers to a function that the page
   * does not have.)
   */
  async function timeRows(page: Session["page"], patterns: Record<string, RegExp>): Promise<() => Promise<{ pressed: number; drawn: Record<string, number> }>> {
    const sources = JSON.stringify(Object.fromEntries(Object.entries(patterns).map(([k, re]) => [k, re.source])));
    await page.evaluate(`(() => {
      const patterns = Object.entries(${sources}).map(([k, source]) => [k, new RegExp(source)]);
      const t = { pressed: 0, drawn: {} };
      window.__flowlineRows = t;
      document.addEventListener("mousedown", () => { t.pressed ||= Date.now(); }, { capture: true });
      const observer = new MutationObserver(() => {
        if (!t.pressed) return;
        const names = [...document.querySelectorAll(".pane-body [role=treeitem]")].map((el) => el.getAttribute("aria-label") ?? "");
        for (const [k, re] of patterns) {
          if (t.drawn[k] === undefined && names.some((n) => re.test(n))) {
            t.drawn[k] = 0;
            requestAnimationFrame(() => { t.drawn[k] = Date.now(); });
          }
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
    })()`);
    return async () => {
      const all = Object.keys(patterns).map((k) => `window.__flowlineRows.drawn[${JSON.stringify(k)}] > 0`).join(" && ");
      const seen = async () => (await page.evaluate("window.__flowlineRows")) as { pressed: number; drawn: Record<string, number> };
      await page.waitForFunction(all, undefined, { timeout: 20_000, polling: 100 }).catch(async (err: Error) => {
        throw new Error(`${err.message}; the page saw ${JSON.stringify(await seen())}`);
      });
      return seen();
    };
  }

  // The bound is what the extension achieves in code-server on this shared 2-core machine, with a margin: the
  // row draws 0.1–0.3 s after the press (up to 0.8 s while the machine is saturated); the figures print on
  // every run. It was 0.6–1.3 s (1.1–1.7 s as Playwright timed it), for two reasons. The Output panel opened as
  // the run started, which holds the workbench's thread for most of a second, and the tree's refresh waited
  // behind it. And a run's reports made the tree say it changed every 100 ms, which VS Code's debounce (200 ms,
  // restarted by each change) held back until they stopped: a run whose process reported at once could stay
  // "starting…" until it ended. The Output now opens once the tree shows the run Running (runs-tree.ts,
  // listed()), and the tree says it changed at most every 250 ms.
  it("a run clicked from its CodeLens shows in the Flow Runs tree within 800 ms of the click (target 500 ms), and Running as soon as its process reports it", async () => {
    const { page } = session;
    await showFlowRuns(page);
    await openFile(page, "busy.ts");
    const run = lens(page, "Run flow");
    await run.waitFor({ timeout: 90_000 });
    // A user reads the file before clicking: the flow process started ahead (flowline.warmStart) is ready.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const rows = await timeRows(page, { shown: /^Flow run busy (starting…, Pending|\S+, Running)$/, running: /^Flow run busy \S+, Running$/ });
    await run.click();
    const { pressed, drawn } = await rows();
    await treeItem(page, /^Flow run busy \S+, Running$/).waitFor({ timeout: 10_000 });
    // The Output still opens as the run starts (flowline.revealOutput "always"), after the row.
    await outputLine(page, "Starting flow 'busy'").waitFor({ timeout: 10_000 });
    // When the extension host got the click: its "Starting flow" line in the Output channel's log file.
    const received = startLogged(session.dir) - pressed;
    const [shownMs, runningMs] = [drawn.shown - pressed, drawn.running - pressed];
    process.stdout.write(`      click → the extension starts the run: ${received} ms; → the run in the tree: ${shownMs} ms; → Running: ${runningMs} ms\n`);
    assert.ok(shownMs <= 800, `the run showed in the tree ${shownMs} ms after the click (the extension had it after ${received} ms)`);
    // The lens and the tree word the run alike: the same task counter.
    await lens(page, /task runs? done/).waitFor({ timeout: 10_000 });
    await page.locator(".codelens-decoration a", { hasText: "Cancel" }).first().click();
    await treeItem(page, /^Flow run busy \S+, Cancelled$/).waitFor({ timeout: 30_000 });
  });

  it("a failing flow leaves a diagnostic at its line in Problems, which clears after a fix", async () => {
    const { page, workspace } = session;
    await openFile(page, "fails.ts");
    await lens(page, "Run flow").waitFor({ timeout: 90_000 });
    await lens(page, "Run flow").click();
    await lens(page, /Failed/).waitFor({ timeout: 60_000 });
    // The squiggle is on line 7, the throw; the Problems count in the status bar says 1 error.
    const squiggle = page.locator(".view-overlays .squiggly-error");
    await squiggle.first().waitFor({ timeout: 20_000 });
    const problems = page.locator(".statusbar-item[id='status.problems']");
    await problems.filter({ hasText: /1\s*\S*\s*0/ }).waitFor({ timeout: 20_000 });
    const line = await squiggle.first().evaluate((el) => Math.round(parseFloat(getComputedStyle(el.parentElement as HTMLElement).top)));
    const seventh = await page.locator(".view-lines .view-line").nth(6).evaluate((el) => Math.round(parseFloat(getComputedStyle(el).top)));
    assert.equal(line, seventh, "the diagnostic is on the throw's line (7)");

    const file = path.join(workspace, "examples", "fails.ts");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("const LIMIT = 0;", "const LIMIT = 5;"));
    await page.locator(".view-line", { hasText: "const LIMIT = 5;" }).waitFor({ timeout: 20_000 });
    await lens(page, "Run flow").click();
    await lens(page, /Completed/).waitFor({ timeout: 60_000 });
    await squiggle.first().waitFor({ state: "detached", timeout: 20_000 });
  });

  it("▶ Debug flow stops at a breakpoint in a task, and continues to Completed", async () => {
    const { page } = session;
    await openFile(page, "hello_world.ts");
    await lens(page, "Debug flow").waitFor({ timeout: 90_000 });
    // A breakpoint on the task's body (line 12): go to the line, F9.
    await page.keyboard.press("Control+G");
    await page.keyboard.type("12");
    await page.keyboard.press("Enter");
    await page.keyboard.press("F9");
    await page.locator(".codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified").first().waitFor({ timeout: 10_000 });
    await lens(page, "Debug flow").click();
    // Paused on the user's .ts line: VS Code marks the top stack frame's line in the editor.
    await page.locator(".codicon-debug-stackframe").first().waitFor({ timeout: 60_000 });
    await page.locator(".debug-toolbar").waitFor();
    // The top frame of the Call Stack: the task's function, in the user's .ts, at line 12.
    const top = page.locator(".debug-call-stack .monaco-list-row", { hasText: "hello_world.ts" }).first();
    await top.waitFor({ timeout: 20_000 });
    assert.match(await top.innerText(), /hello_world\.ts\s+12:\d+/, "stopped in the task, on the user's line");
    await page.locator(".debug-view-content, .debug-pane", { hasText: "PAUSED ON BREAKPOINT" }).first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    // Variables show the task's parameter; then, with the breakpoint turned off, Continue runs to the end.
    await page.locator(".monaco-list-row", { hasText: /name\s*=\s*'world'/ }).first().waitFor({ timeout: 10_000 });
    await page.locator(".debug-breakpoints .monaco-list-row", { hasText: "hello_world.ts" }).locator("input[type=checkbox]").first().click();
    await page.locator(".debug-toolbar .codicon-debug-continue").first().click();
    await lens(page, /Completed/).waitFor({ timeout: 60_000 });
    await showFlowRuns(page);
    await treeItem(page, /^Flow run my-flow \S+, Completed$/).waitFor({ timeout: 30_000 });
  });
});
