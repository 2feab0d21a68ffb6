// End to end, in a real VS Code (code-server 4.100.3) with the packaged .vsix installed, on the layout the
// README describes: a git repository whose examples/ folder the window opens, while a terminal runs
// `flowline run examples/...` from the repository's root. One code-server session for the file; every
// wait is bounded; a failure leaves a screenshot in test-results/.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, screenshotAfter, startPackagedSession, stopAll, suiteWatchdog, type Session } from "./code-server";
import { showFlowRuns, treeItem } from "./workbench";

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

  it("a terminal run from the repository root appears in the window opened on examples/", async () => {
    const { page, workspace } = session;
    await showFlowRuns(page);
    const env = { ...process.env };
    delete env.FLOWLINE_HOME;
    delete env.NODE_OPTIONS;
    const run = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", "examples/hello_world.ts"], { cwd: workspace, env, encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    await treeItem(page, /^Flow run my-flow \S+, Completed$/).waitFor({ timeout: 30_000 });
    assert.ok(fs.existsSync(path.join(workspace, ".flowline")), "the run is in the repository's .flowline");
  });
});
