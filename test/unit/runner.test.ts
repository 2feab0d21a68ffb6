// The runner API the CLI and the extension share (src/runner/run.ts), driven with real flow processes
// (dist/child.js running fixtures from test/fixtures). No mocks.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LiveMessage } from "../../src/runner/protocol";
import { startFlowProcess, type RunRequest } from "../../src/runner/run";

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(REPO, "test", "fixtures");
const dirs: string[] = [];

function workspace(...fixtures: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-runner-"));
  dirs.push(dir);
  for (const f of fixtures) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  return dir;
}

function request(dir: string, file: string, more: Partial<RunRequest> = {}): RunRequest {
  return { file: path.join(dir, file), home: path.join(dir, ".flowline"), cwd: dir, env: { NODE_OPTIONS: "" }, ...more };
}

async function waitForFile(file: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file) || fs.readFileSync(file, "utf8") === "") {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return fs.readFileSync(file, "utf8");
}

describe("runner: FlowProcess", function () {
  this.timeout(20_000);

  before(function () {
    this.timeout(120_000);
    // The flow process runs dist/child.js and dist/flowline.js: rebuild them when a source is newer.
    const outputs = ["flowline.js", "child.js"].map((f) => path.join(REPO, "dist", f));
    const built = Math.min(...outputs.map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0)));
    const sources = fs.readdirSync(path.join(REPO, "src"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const newest = Math.max(...sources.map((f) => fs.statSync(path.join(REPO, "src", f)).mtimeMs));
    if (newest > built) execFileSync(process.execPath, ["esbuild.mjs"], { cwd: REPO, stdio: "inherit" });
  });

  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("streams the run live and reports how the run ended (reported: true)", async () => {
    const dir = workspace("hello.ts");
    const proc = startFlowProcess(request(dir, "hello.ts"));
    const live: LiveMessage[] = [];
    let loaded: unknown;
    proc.on("live", (m) => live.push(m));
    proc.on("loaded", (flow) => (loaded = flow));
    const result = await proc.done;
    assert.equal(result.exitCode, 0);
    assert.equal(result.reported, true);
    assert.equal(result.state?.type, "Completed");
    assert.deepEqual(loaded, { exportName: "myFlow", name: "my-flow", parameters: { kind: "none", open: false, parameters: [] } });
    // Counts are totals so far: the last message has them all.
    assert.deepEqual(live[live.length - 1].taskRuns, { created: 3, Completed: 3, Failed: 0, Crashed: 0, Cancelled: 0 });
    const flowRuns = live.flatMap((m) => m.flowRuns ?? []);
    assert.equal(flowRuns.length, 1);
    assert.equal(result.flowRunId, flowRuns[0].id);
    assert.equal(live.flatMap((m) => m.flowStates ?? []).at(-1)?.type, "Completed");
  });

  it("cancel() ends a flow that ignores it after cancelGraceSeconds, killing its process (reported: false)", async () => {
    const dir = workspace("busy.ts");
    const proc = startFlowProcess(request(dir, "busy.ts", { cancelGraceSeconds: 0.5 }));
    const pid = Number(await waitForFile(path.join(dir, "started.txt")));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    proc.cancel();
    const result = await proc.done;
    assert.equal(result.exitCode, 130);
    assert.equal(result.reported, false);
    assert.equal(result.state?.type, "Cancelled");
    assert.ok(result.flowRunId);
    assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it("a flow that listens to its signal ends Cancelled by itself on cancel() (reported: true)", async () => {
    const dir = workspace("cancellable.ts");
    const proc = startFlowProcess(request(dir, "cancellable.ts"));
    await waitForFile(path.join(dir, "started.txt"));
    proc.cancel("Stopped by the test.");
    const result = await proc.done;
    assert.equal(result.exitCode, 130);
    assert.equal(result.reported, true);
    assert.equal(result.state?.type, "Cancelled");
    assert.match(fs.readFileSync(path.join(dir, "aborted.txt"), "utf8"), /Stopped by the test\./);
  });

  it("a node binary that cannot be started is a clear 'could not start' (exit code 2)", async () => {
    const dir = workspace("hello.ts");
    const result = await startFlowProcess(request(dir, "hello.ts", { nodePath: path.join(dir, "no-such-node") })).done;
    assert.equal(result.exitCode, 2);
    assert.match(result.message ?? "", /Could not start .*no-such-node.*ENOENT/);
  });

  it("output that keeps coming after the flow process exited is read until it goes quiet; a silent holder of the pipes does not keep the run open", async () => {
    const dir = workspace();
    // The flow leaves a process that inherits its stdout and prints a tick every 20 ms, 25 in all, then
    // keeps the pipe open, silent. The flow returns once the ticks have begun (the ticker writes ticking.txt).
    const ticker = `let n = 0; const t = setInterval(() => { console.log("tick " + ++n); if (n === 1) require("fs").writeFileSync("ticking.txt", ""); if (n === 25) clearInterval(t); }, 20); setTimeout(() => {}, 30000);`;
    fs.writeFileSync(
      path.join(dir, "ticks.ts"),
      `import * as fs from "node:fs";\nimport { spawn } from "node:child_process";\nimport { flow } from "flowline";\n` +
        `export const f = flow({ name: "f" }, async () => {\n` +
        `  const c = spawn(process.execPath, ["-e", ${JSON.stringify(ticker)}], { stdio: "inherit" });\n` +
        `  c.unref();\n` +
        `  while (!fs.existsSync("ticking.txt")) await new Promise((r) => setTimeout(r, 10));\n` +
        `  return c.pid;\n});\n`,
    );
    const proc = startFlowProcess(request(dir, "ticks.ts"));
    let stdout = "";
    proc.on("output", (text, stream) => {
      if (stream === "stdout") stdout += text;
    });
    const t0 = Date.now();
    const result = await proc.done;
    const took = Date.now() - t0;
    if (typeof result.result === "number") process.kill(result.result, "SIGKILL");
    assert.equal(result.exitCode, 0);
    assert.deepEqual(stdout.trim().split("\n"), Array.from({ length: 25 }, (_, i) => `tick ${i + 1}`));
    assert.ok(took < 15_000, `the run ended after ${took} ms; the pipe holder lives 30 s`);
  });

  it("a crash is Crashed with how the process ended (reported: false)", async () => {
    const dir = workspace("killable.ts");
    const proc = startFlowProcess(request(dir, "killable.ts"));
    const pid = Number(await waitForFile(path.join(dir, "pid.txt")));
    assert.equal(pid, proc.pid);
    process.kill(pid, "SIGKILL");
    const result = await proc.done;
    assert.equal(result.exitCode, 1);
    assert.equal(result.reported, false);
    assert.equal(result.state?.type, "Crashed");
    assert.match(result.message ?? "", /killed \(SIGKILL\)/);
  });
  it("the flow process exits as soon as its flow returns, while its parent has not read what it sent (no drain at exit)", async function () {
    this.timeout(90_000);
    // 30,000 task runs write ~15 MB of journal: were it streamed to the parent, the child would wait on a
    // parent that does not read. Here the parent blocks in its first live message until the child is gone.
    const dir = workspace();
    fs.writeFileSync(
      path.join(dir, "many.ts"),
      `import { flow, task } from "flowline";\nconst noop = task({ name: "noop" }, async (i: number) => i);\n` +
        `export const many = flow({ name: "many" }, async () => {\n  let sum = 0;\n  for (let i = 0; i < 30000; i++) sum += await noop(i);\n  return sum;\n});\n`,
    );
    const proc = startFlowProcess(request(dir, "many.ts"));
    const pid = proc.pid as number;
    /** Exited: a zombie (this blocked process has not reaped it yet) or gone. */
    const exited = () => {
      try {
        return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
      } catch {
        return true;
      }
    };
    let exitedWhileUnread: boolean | undefined;
    let messages = 0;
    let last: LiveMessage | undefined;
    proc.on("live", (message) => {
      last = message;
      if (messages++ > 0) return;
      const until = Date.now() + 60_000;
      while (!exited() && Date.now() < until) execFileSync("sleep", ["0.05"]);
      exitedWhileUnread = exited();
    });
    const result = await proc.done;
    assert.equal(result.state?.type, "Completed", JSON.stringify(result));
    assert.equal(result.result, (30000 * 29999) / 2);
    assert.equal(exitedWhileUnread, true, "the flow process waited for its parent to read before it exited");
    // What it sent while the parent was blocked arrives after: the last counts have every task run.
    assert.equal(last?.taskRuns.Completed, 30000);
  });
});
