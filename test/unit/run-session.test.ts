// The run session the CLI and the editor both follow a run with (src/runner/session.ts), driven with real
// flow processes (dist/child.js running fixtures) and a real store. No mocks.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunSession, type SessionOptions } from "../../src/runner/session";
import { dbPath } from "../../src/shared/home";
import { openStore } from "../../src/store";
import { ensureBuilt } from "./helpers/build";

const FIXTURES = path.join(__dirname, "..", "fixtures");

describe("runner: RunSession", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  before(function () {
    this.timeout(120_000);
    ensureBuilt();
  });
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function session(fixture: string, more: Partial<SessionOptions> = {}): { dir: string; home: string; session: RunSession } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-session-"));
    dirs.push(dir);
    const file = path.join(dir, path.basename(fixture));
    fs.copyFileSync(path.join(FIXTURES, fixture), file);
    const home = path.join(dir, ".flowline");
    return { dir, home, session: new RunSession({ file, home, cwd: dir, env: { NODE_OPTIONS: "" }, cancelGraceSeconds: 5, ...more }) };
  }

  async function fileWritten(file: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(file) || fs.readFileSync(file, "utf8") === "") {
      if (Date.now() > deadline) throw new Error(`${file} was not written`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return fs.readFileSync(file, "utf8");
  }

  it("names the run of each log line, and leaves the database alone for a run that recorded its own end", async () => {
    const { home, session: s } = session("e2e/hello.ts", { parameters: { name: "session" } });
    const lines: string[] = [];
    s.on("log", (event, label) => lines.push(`${label}: ${event.message}`));
    const end = await s.ended;
    assert.equal(end.result.exitCode, 0);
    assert.ok(lines.includes("Task run 'greet-0': Hello, session!"), lines.join("\n"));
    assert.ok(lines.some((l) => /^Flow run '[a-z]+-[a-z]+': Beginning flow run/.test(l)), lines.join("\n"));
    assert.equal(end.flowRunName, s.flowRunName);
    // Its journal holds the run until the next reader folds it: no sql.js, no database file, for this run.
    assert.equal(end.detail, undefined);
    assert.equal(fs.existsSync(dbPath(home)), false);
  });

  it("reads the run back from the store when asked to (the CLI's --json)", async () => {
    const { session: s } = session("e2e/hello.ts", { readBack: true, preloadStore: true });
    const end = await s.ended;
    assert.equal(end.detail?.flowRun.state.type, "Completed");
    assert.deepEqual(end.detail?.taskRuns.map((t) => t.name).sort(), ["greet-0", "shout-0"]);
  });

  it("records Crashed, with why, for a run whose process was killed before it could say how it ended", async () => {
    const { dir, home, session: s } = session("killable.ts");
    process.kill(Number(await fileWritten(path.join(dir, "pid.txt"))), "SIGKILL");
    const end = await s.ended;
    assert.equal(end.result.reported, false);
    assert.equal(end.result.exitCode, 1);
    assert.equal(end.recordError, undefined);
    assert.equal(end.detail?.flowRun.state.type, "Crashed");
    // What any later reader (the CLI, the editor's tree) sees.
    const store = await openStore(home);
    try {
      const stored = await store.getFlowRun(end.flowRunId as string);
      assert.equal(stored.flowRun.state.type, "Crashed");
      assert.match(stored.flowRun.state.message ?? "", /The flow process was killed \(SIGKILL\) before the run finished/);
      assert.deepEqual(stored.taskRuns.map((t) => [t.name, t.state.type]).sort(), [["first-0", "Completed"], ["wait-0", "Crashed"]]);
    } finally {
      store.close();
    }
  });

  it("cancels once: the flow's signal fires and the run ends Cancelled", async () => {
    const { dir, session: s } = session("cancellable.ts", { readBack: true });
    await fileWritten(path.join(dir, "started.txt"));
    s.cancel("Cancelled by the test.");
    s.cancel("A second cancel is not sent again.");
    assert.equal(s.cancelRequested, true);
    const end = await s.ended;
    assert.equal(end.result.exitCode, 130);
    assert.equal(end.detail?.flowRun.state.type, "Cancelled");
    assert.match(fs.readFileSync(path.join(dir, "aborted.txt"), "utf8"), /Cancelled by the test\./);
  });
});
