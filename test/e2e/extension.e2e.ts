// End to end, in a real VS Code (code-server 4.100.3) with the packaged .vsix installed: run flows from
// their CodeLens and check what a user sees. One code-server session serves the whole file (starting one
// takes ~10 s here); every wait is bounded, and a global watchdog ends everything if the suite overruns.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, screenshotAfter, startPackagedSession, stopAll, suiteWatchdog, type Session } from "./code-server";
import { eventually, expand, lens, openFile, outputLine, showFlowRuns, toast, treeItem } from "./workbench";

const FIXTURE = path.join(ROOT, "test", "fixtures", "e2e");

describe("Flowline in a real VS Code (code-server)", function () {
  this.timeout(120_000);
  let session: Session;
  const disarm = suiteWatchdog("the extension suite", 25);

  before(async function () {
    // The first run installs code-server into .cache (a minute or two); later runs find it there.
    this.timeout(20 * 60_000);
    session = await startPackagedSession("extension", { fixture: FIXTURE, settings: { "flowline.cancelGraceSeconds": 3 } });
  });

  afterEach(function () {
    // FLOWLINE_E2E_SHOTS=1 keeps a screenshot of every test, not only of failures.
    return screenshotAfter(this.currentTest, session?.page, "extension");
  });

  after(async function () {
    this.timeout(60_000);
    disarm();
    await stopAll();
  });

  it("runs a flow from its CodeLens: it completes, its logs are in the Output, and the Flow Runs tree shows it with its task runs", async () => {
    const { page } = session;
    // Before any run the Flow Runs view welcomes the user with a Run Flow… button.
    await showFlowRuns(page);
    await page.locator(".welcome-view-content", { hasText: "No flow runs yet" }).getByRole("button", { name: "Run Flow…" }).waitFor({ timeout: 60_000 });
    await openFile(page, "hello.ts");
    // Activation, the language server and the first lens render share two cores: be patient once.
    await lens(page, "Run flow").waitFor({ timeout: 90_000 });
    await lens(page, "Run flow").click();
    await lens(page, /Completed/).waitFor({ timeout: 60_000 });
    await outputLine(page, "Task run 'greet-0' - Hello, world!").waitFor({ timeout: 20_000 });

    await showFlowRuns(page);
    const run = treeItem(page, /^Flow run say-hello \S+, Completed$/);
    await run.waitFor({ timeout: 20_000 });
    await expand(run);
    await treeItem(page, /^Task run greet-0, Completed$/).waitFor();
    await treeItem(page, /^Task run shout-0, Completed$/).waitFor();
  });

  it("runs a flow with parameters typed into the input, which starts with the defaults and refuses unknown names", async () => {
    const { page } = session;
    await openFile(page, "hello.ts");
    await lens(page, "Run with parameters").click();
    const input = page.locator(".quick-input-widget input");
    await input.waitFor();
    assert.equal(await input.inputValue(), '{"name":"world"}');
    await input.fill('{"nme": "typo"}');
    await page.locator(".quick-input-message", { hasText: "Unknown parameter 'nme'" }).waitFor();
    await input.fill('{"name": "e2e"}');
    await page.keyboard.press("Enter");
    await outputLine(page, "Hello, e2e!").waitFor({ timeout: 60_000 });
  });

  it("shows a failing flow as Failed with its error, and Go to error opens the user's line", async () => {
    const { page } = session;
    await openFile(page, "failing.ts");
    await lens(page, "Run flow").waitFor({ timeout: 30_000 });
    await lens(page, "Run flow").click();
    // The error's own notification (the run's progress notification words the same error without its line).
    const error = toast(page, "value 1 is too big (failing.ts:5)");
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.innerText(), /Failed: value 1 is too big \(failing\.ts:5\)/);
    await showFlowRuns(page);
    await treeItem(page, /^Flow run failing \S+, Failed$/).waitFor({ timeout: 20_000 });
    await error.getByRole("button", { name: "Go to error" }).click();
    // The cursor lands on the throw: line 5 of failing.ts.
    await page.locator(".statusbar", { hasText: /Ln 5, Col \d+/ }).waitFor({ timeout: 10_000 });
    await page.locator(".tab.active", { hasText: "failing.ts" }).waitFor();
  });

  it("cancels a long flow with ■ Cancel: its task sees the signal and the run ends Cancelled", async () => {
    const { page, workspace } = session;
    await openFile(page, "slow.ts");
    await lens(page, "Run flow").waitFor({ timeout: 30_000 });
    await lens(page, "Run flow").click();
    // Running with its task started (0 of 1 task runs done), so the task is listening for the signal.
    await lens(page, /Running .*0 of 1 task run done/).waitFor({ timeout: 60_000 });
    await lens(page, "■ Cancel").click();
    await lens(page, /Cancelled/).waitFor({ timeout: 30_000 });
    assert.ok(fs.existsSync(path.join(workspace, "aborted.txt")), "the task saw its AbortSignal fire");
    await showFlowRuns(page);
    await treeItem(page, /^Flow run slow \S+, Cancelled$/).waitFor({ timeout: 20_000 });
  });

  it("shows a run started from a terminal with the CLI in the Flow Runs tree by itself", async () => {
    const { page, workspace } = session;
    await showFlowRuns(page);
    const runs = page.locator(".pane-body").getByRole("treeitem", { name: /^Flow run say-hello / });
    const before = await runs.count();
    const cli = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", "hello.ts", "--param", "name=terminal"], {
      cwd: workspace,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, FLOWLINE_HOME: "" },
    });
    assert.equal(cli.status, 0, cli.stderr);
    await eventually(async () => (await runs.count()) === before + 1, 20_000, "the terminal's run to appear in the tree");
  });
});
