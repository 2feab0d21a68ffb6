// End-to-end tests of the `flowline` CLI and its runner: every test spawns the real CLI (bin/flowline.js,
// the built bundles in dist/) in a fresh temporary folder, with flow files from test/fixtures or written
// here, and looks only at what a user sees: exit codes, stdout, stderr and files on disk. No mocks.
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureBuilt } from "./helpers/build";

const REPO = path.resolve(__dirname, "..", "..");
const CLI = path.join(REPO, "bin", "flowline.js");
const FIXTURES = path.join(REPO, "test", "fixtures");

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface RunningCli {
  proc: ChildProcess;
  result: Promise<CliResult>;
}

const tempDirs: string[] = [];
const started = new Set<ChildProcess>();


/** The environment of a user's shell: no FLOWLINE_HOME (so `.flowline` lands in the current folder). */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!("FLOWLINE_HOME" in extra)) delete env.FLOWLINE_HOME;
  delete env.FLOWLINE_DIST;
  delete env.NODE_OPTIONS; // no tsx loader in the CLI or its flow process
  return env;
}

/** A fresh folder holding copies of the named fixtures (paths relative to test/fixtures). */
function workspace(...fixtures: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-cli-"));
  tempDirs.push(dir);
  for (const f of fixtures) {
    const src = path.join(FIXTURES, f);
    fs.cpSync(src, fs.statSync(src).isDirectory() ? dir : path.join(dir, path.basename(f)), { recursive: true });
  }
  return dir;
}

function write(dir: string, file: string, text: string): string {
  const p = path.join(dir, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

function startCli(args: string[], cwd: string, env?: Record<string, string>): RunningCli {
  const t0 = Date.now();
  const proc = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  started.add(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  proc.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  const result = new Promise<CliResult>((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", (code, signal) => {
      started.delete(proc);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
  return { proc, result };
}

/** Runs the CLI to its end; a CLI that does not end within `timeoutMs` is killed and fails the test. */
async function cli(args: string[], cwd: string, opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const running = startCli(args, cwd, opts.env);
  return withTimeout(running, opts.timeoutMs ?? 15_000, args);
}

async function withTimeout(running: RunningCli, timeoutMs: number, what: unknown): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      running.proc.kill("SIGKILL");
      reject(new Error(`flowline ${JSON.stringify(what)} did not end within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([running.result, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForFile(file: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, "utf8");
      if (text !== "") return text;
    }
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function show(res: CliResult): string {
  return `exit ${res.code}${res.signal ? ` (${res.signal})` : ""}\n--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
}

/** Stdout must be exactly one JSON document. */
function json<T = any>(res: CliResult): T {
  try {
    return JSON.parse(res.stdout) as T;
  } catch (err) {
    assert.fail(`stdout is not one JSON document (${(err as Error).message})\n${show(res)}`);
  }
}

/** Bad input: exit 2, nothing on stdout, one line on stderr without a stack trace, saying `pattern`. */
function assertUsageError(res: CliResult, pattern: RegExp): void {
  assert.equal(res.code, 2, show(res));
  assert.equal(res.stdout, "", show(res));
  const lines = res.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr\n${show(res)}`);
  assert.doesNotMatch(res.stderr, /^\s+at /m, `stack trace on stderr\n${show(res)}`);
  assert.match(lines[0], /^flowline: /, show(res));
  assert.match(lines[0], pattern, show(res));
}

function storageJson(dir: string, key: string): { serializer: unknown; data: unknown } {
  return JSON.parse(fs.readFileSync(path.join(dir, ".flowline", "storage", key), "utf8"));
}

async function inspect(dir: string, id: string): Promise<any> {
  const res = await cli(["runs", "inspect", id, "--json"], dir);
  assert.equal(res.code, 0, show(res));
  return json(res);
}

describe("cli: flowline run (real processes)", function () {
  this.timeout(30_000);

  before(function () {
    this.timeout(120_000);
    ensureBuilt();
  });

  after(() => {
    for (const proc of started) proc.kill("SIGKILL");
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("the seed example and --json", () => {
    it("writes hello__world.json, hello__foo.json and hello__bar.json, prints one JSON object on stdout and exits 0", async () => {
      const dir = workspace("hello.ts");
      const res = await cli(["run", "hello.ts", "--json"], dir);
      assert.equal(res.code, 0, show(res));

      const out = json(res);
      assert.deepEqual(Object.keys(out).filter((k) => ["flowRun", "taskRuns", "result"].includes(k)).sort(), ["flowRun", "result", "taskRuns"]);
      assert.equal(typeof out.flowRun.id, "string");
      assert.equal(typeof out.flowRun.name, "string");
      assert.equal(out.flowRun.flowName, "my-flow");
      assert.equal(out.flowRun.state, "Completed");
      assert.deepEqual(out.flowRun.parameters, {});
      assert.equal(out.result, null);
      assert.equal(out.taskRuns.length, 3);
      for (const t of out.taskRuns) {
        assert.equal(t.taskName, "hello");
        assert.equal(t.state, "Completed");
        assert.equal(typeof t.id, "string");
        assert.equal(typeof t.name, "string");
      }
      assert.deepEqual(out.taskRuns.map((t: any) => t.resultKey).sort(), ["hello__bar.json", "hello__foo.json", "hello__world.json"]);

      // .flowline lands in the current folder when FLOWLINE_HOME is unset.
      assert.ok(fs.existsSync(path.join(dir, ".flowline", "flowline.db")));
      assert.equal(storageJson(dir, "hello__world.json").data, "hello world");
      assert.equal(storageJson(dir, "hello__foo.json").data, "hello foo");
      assert.equal(storageJson(dir, "hello__bar.json").data, "hello bar");
      // Logs stream to stderr, never stdout.
      assert.match(res.stderr, /Beginning flow run '.+' for flow 'my-flow'/);
      assert.match(res.stderr, /Finished in state Completed/);
    });

    it("puts the data under $FLOWLINE_HOME when it is set", async () => {
      const dir = workspace("hello.ts");
      const home = path.join(dir, "elsewhere");
      const res = await cli(["run", "hello.ts"], dir, { env: { FLOWLINE_HOME: home } });
      assert.equal(res.code, 0, show(res));
      assert.equal(res.stdout, "", "without --json nothing goes to stdout");
      assert.ok(fs.existsSync(path.join(home, "storage", "hello__foo.json")));
      assert.ok(!fs.existsSync(path.join(dir, ".flowline")));
    });

    it("sends what the flow prints to stderr, so stdout holds only the JSON", async () => {
      const dir = workspace();
      write(dir, "prints.ts", `import { flow } from "flowline";\nexport const p = flow(async function printer() {\n  console.log("hello from console.log");\n  process.stdout.write("raw stdout write\\n");\n  return "ok";\n});\n`);
      const res = await cli(["run", "prints.ts", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      assert.equal(json(res).result, "ok");
      assert.match(res.stderr, /hello from console\.log/);
      assert.match(res.stderr, /raw stdout write/);
    });
  });

  describe("parameters", () => {
    it("--param values parse as JSON when they can, else as strings", async () => {
      const dir = workspace("params.ts");
      const res = await cli(["run", "params.ts", "--param", "n=2", "--param", "s=foo", "--param", "b=true", "--param", 'o={"a":[1,2]}', "--param", 'q="7"', "--json"], dir);
      assert.equal(res.code, 0, show(res));
      const out = json(res);
      assert.deepEqual(out.result, { n: 2, s: "foo", b: true, o: { a: [1, 2] }, q: "7", types: { n: "number", s: "string", b: "boolean", o: "object", q: "string" } });
      assert.deepEqual(out.flowRun.parameters, { n: 2, s: "foo", b: true, o: { a: [1, 2] }, q: "7" });
    });

    it("--params takes a JSON object of parameters", async () => {
      const dir = workspace("params.ts");
      const res = await cli(["run", "params.ts", "--params", '{"n": 2, "s": "bar"}', "--json"], dir);
      assert.equal(res.code, 0, show(res));
      const out = json(res);
      assert.equal(out.result.n, 2);
      assert.equal(out.result.s, "bar");
      assert.equal(out.result.b, false, "a parameter left out gets its default");
      assert.equal(out.flowRun.parameters.n, 2);
    });

    it("--params and --param together: --param adds to and overrides --params", async () => {
      const dir = workspace("params.ts");
      const res = await cli(["run", "params.ts", "--params", '{"n": 2, "s": "from-params"}', "--param", "s=from-param", "--param", "b=true", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      const { result } = json(res);
      assert.equal(result.n, 2);
      assert.equal(result.s, "from-param");
      assert.equal(result.b, true);
    });

    it("binds positional parameters by name, with the signature's defaults", async () => {
      const dir = workspace("two-flows.ts");
      const res = await cli(["run", "two-flows.ts:add", "--param", "a=5", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      const out = json(res);
      assert.deepEqual(out.result, { a: 5, b: 10, sum: 15 });
      assert.equal(out.flowRun.parameters.a, 5);
      assert.equal(out.flowRun.parameters.b, 10);

      const both = await cli(["run", "two-flows.ts:adder", "--params", '{"a": 1, "b": 2}', "--json"], dir);
      assert.equal(both.code, 0, show(both));
      assert.deepEqual(json(both).result, { a: 1, b: 2, sum: 3 });
    });
  });

  describe("choosing a flow", () => {
    it("a file with two flows needs file.ts:<flow>, by export name or flow name, and names the flows otherwise", async () => {
      const dir = workspace("two-flows.ts");
      const [none, byExport, byName, unknown] = await Promise.all([
        cli(["run", "two-flows.ts"], dir),
        cli(["run", "two-flows.ts:doubler", "--param", "n=4", "--json"], dir),
        cli(["run", "two-flows.ts:double-it", "--param", "n=5", "--json"], dir),
        cli(["run", "two-flows.ts:triple"], dir),
      ]);
      assertUsageError(none, /two-flows\.ts has 2 flows \(.*\); say which: two-flows\.ts:<flow>/);
      assert.match(none.stderr, /doubler \(double-it\)/);
      assert.match(none.stderr, /add \(adder\)/);
      assert.equal(byExport.code, 0, show(byExport));
      assert.equal(json(byExport).result, 8);
      assert.equal(json(byExport).flowRun.flowName, "double-it");
      assert.equal(byName.code, 0, show(byName));
      assert.equal(json(byName).result, 10);
      assertUsageError(unknown, /two-flows\.ts has no flow 'triple'; it has: /);
      assert.match(unknown.stderr, /doubler \(double-it\)/);
    });
  });

  describe("bad input: one clear line on stderr, exit 2", () => {
    it("a missing flow file", async () => {
      const dir = workspace();
      assertUsageError(await cli(["run", "nowhere.ts"], dir), /No such flow file: nowhere\.ts/);
      assert.ok(!fs.existsSync(path.join(dir, ".flowline")), "bad input leaves no .flowline behind");
    });

    it("an unknown flow name", async () => {
      const dir = workspace("hello.ts");
      assertUsageError(await cli(["run", "hello.ts:nope"], dir), /hello\.ts has no flow 'nope'; it has: myFlow \(my-flow\)/);
    });

    it("a syntax error in the flow file names the file and the line", async () => {
      const dir = workspace();
      write(dir, "broken.ts", `import { flow } from "flowline";\n\nexport const f = flow(async () => {\n  const x = ;\n  return x;\n});\n`);
      const res = await cli(["run", "broken.ts"], dir);
      assertUsageError(res, /broken\.ts:4:\d+: /);
      assert.ok(!fs.existsSync(path.join(dir, ".flowline", "flowline.db")), "a file that does not compile leaves no database");
    });

    it("a flow file that throws while loading names the file and line", async () => {
      const dir = workspace();
      write(dir, "throws.ts", `import { flow } from "flowline";\nconst port: number = Number("x");\nif (Number.isNaN(port)) throw new Error("PORT is not set");\nexport const f = flow(async () => port);\n`);
      assertUsageError(await cli(["run", "throws.ts"], dir), /throws\.ts:3:\d+: .*Error: PORT is not set/);
    });

    it("a flow file importing a package that is not installed", async () => {
      const dir = workspace();
      write(dir, "needs-pkg.ts", `import { flow } from "flowline";\nimport { thing } from "not-installed-anywhere";\nexport const f = flow(async () => thing);\n`);
      assertUsageError(await cli(["run", "needs-pkg.ts"], dir), /needs-pkg\.ts imports 'not-installed-anywhere', which is not installed/);
    });

    it("--params that is not JSON", async () => {
      const dir = workspace("params.ts");
      assertUsageError(await cli(["run", "params.ts", "--params", "{n: 2"], dir), /--params is not valid JSON/);
    });

    it("--params that is not an object", async () => {
      const dir = workspace("params.ts");
      const [arr, num] = await Promise.all([cli(["run", "params.ts", "--params", "[1, 2]"], dir), cli(["run", "params.ts", "--params", "3"], dir)]);
      assertUsageError(arr, /--params must be a JSON object/);
      assertUsageError(num, /--params must be a JSON object/);
    });

    it("--param without '='", async () => {
      const dir = workspace("params.ts");
      assertUsageError(await cli(["run", "params.ts", "--param", "n"], dir), /--param "n" is not key=value/);
    });

    it("an unknown parameter name", async () => {
      const dir = workspace("params.ts", "two-flows.ts", "hello.ts");
      const [obj, positional, none] = await Promise.all([
        cli(["run", "params.ts", "--param", "nn=1"], dir),
        cli(["run", "two-flows.ts:add", "--param", "a=1", "--param", "c=3"], dir),
        cli(["run", "hello.ts", "--param", "name=foo"], dir),
      ]);
      assertUsageError(obj, /has no parameter "nn"/);
      assertUsageError(positional, /has no parameter "c"/);
      assertUsageError(none, /has no parameter "name"/);
    });

    it("an unknown command or option", async () => {
      const dir = workspace("hello.ts");
      const [cmd, opt, runsOpt, sub, noCommand] = await Promise.all([
        cli(["frobnicate"], dir),
        cli(["run", "hello.ts", "--bogus"], dir),
        cli(["runs", "ls", "--bogus"], dir),
        cli(["runs", "delete"], dir),
        cli([], dir),
      ]);
      assertUsageError(cmd, /Unknown command 'frobnicate'/);
      assertUsageError(opt, /Unknown option '--bogus'/);
      assertUsageError(runsOpt, /Unknown option '--bogus'/);
      assertUsageError(sub, /Unknown runs command 'delete'/);
      assert.equal(noCommand.code, 2);
      assert.equal(noCommand.stdout, "", "no command: the help goes to stderr");
      assert.match(noCommand.stderr, /Usage:/);
    });

    it("a flow file that defines no flow", async () => {
      const dir = workspace("no-flow.ts");
      assertUsageError(await cli(["run", "no-flow.ts"], dir), /no-flow\.ts defines no flow/);
    });

    it("a file that is not TypeScript or JavaScript, and a folder", async () => {
      const dir = workspace();
      write(dir, "flow.py", "print('hi')\n");
      fs.mkdirSync(path.join(dir, "folder"));
      const [py, folder] = await Promise.all([cli(["run", "flow.py"], dir), cli(["run", "folder"], dir)]);
      assertUsageError(py, /flow\.py is not a TypeScript or JavaScript file/);
      assertUsageError(folder, /folder is not a file/);
    });
  });

  describe("failures", () => {
    it("a flow that throws: exit 1, Failed, and the stack points at the user's .ts file and line", async () => {
      const dir = workspace("fail.ts");
      const res = await cli(["run", "fail.ts", "--json"], dir);
      assert.equal(res.code, 1, show(res));
      const out = json(res);
      assert.equal(out.flowRun.state, "Failed");
      assert.match(out.flowRun.stateMessage, /value 1 is too big/);
      const line = fs.readFileSync(path.join(dir, "fail.ts"), "utf8").split("\n").findIndex((l) => l.includes("FAIL-HERE")) + 1;
      assert.match(res.stderr, new RegExp(`Error: value 1 is too big\\n\\s+at check \\(${escape(path.join(dir, "fail.ts"))}:${line}:\\d+\\)`), show(res));
      assert.doesNotMatch(res.stderr, /__flowline_bundle__/);
      // The logs are stored with the run too.
      const detail = await inspect(dir, out.flowRun.id);
      assert.ok(detail.logs.some((l: any) => l.level === "ERROR" && l.message.includes(`fail.ts:${line}:`)), JSON.stringify(detail.logs));
    });

    it("without --json a failed run says how it ended on stderr, and stdout stays empty", async () => {
      const dir = workspace("fail.ts");
      const res = await cli(["run", "fail.ts"], dir);
      assert.equal(res.code, 1, show(res));
      assert.equal(res.stdout, "");
      assert.match(res.stderr, /Flow run '.+' ended Failed: .*value 1 is too big/);
    });

    it("a flow whose awaited task failed is Failed, even if it caught the error", async () => {
      const dir = workspace("task-fail.ts");
      const res = await cli(["run", "task-fail.ts", "--json"], dir);
      assert.equal(res.code, 1, show(res));
      const out = json(res);
      assert.equal(out.flowRun.state, "Failed");
      assert.equal(out.taskRuns.length, 1);
      assert.equal(out.taskRuns[0].state, "Failed");
      assert.match(res.stderr, /task boom\n\s+at .*task-fail\.ts:5:\d+/);
    });
  });

  describe("crashes", () => {
    it("a flow that calls process.exit(3) mid-run: exit 1, recorded Crashed, and the run does not hang", async () => {
      const dir = workspace("exit-mid-run.ts");
      const res = await cli(["run", "exit-mid-run.ts", "--json"], dir, { timeoutMs: 10_000 });
      assert.equal(res.code, 1, show(res));
      const out = json(res);
      assert.equal(out.flowRun.state, "Crashed");
      const detail = await inspect(dir, out.flowRun.id);
      assert.equal(detail.flowRun.state, "Crashed");
      assert.match(detail.flowRun.stateMessage, /exited with code 3/);
      assert.deepEqual(detail.taskRuns.map((t: any) => [t.taskName, t.state]), [["before", "Completed"]]);
      assert.equal(storageJson(dir, "before.json").data, "kept");
    });

    it("SIGKILL of the flow process: exit 1, run Crashed, and what was stored before is still there", async () => {
      const dir = workspace("killable.ts");
      const running = startCli(["run", "killable.ts", "--json"], dir);
      const pid = Number(await waitForFile(path.join(dir, "pid.txt")));
      assert.notEqual(pid, running.proc.pid, "the flow runs in a child process of the CLI");
      process.kill(pid, "SIGKILL");
      const res = await withTimeout(running, 10_000, "killable");
      assert.equal(res.code, 1, show(res));
      const out = json(res);
      assert.equal(out.flowRun.state, "Crashed");
      assert.match(out.flowRun.stateMessage, /SIGKILL|ended before the run finished/);

      const detail = await inspect(dir, out.flowRun.id);
      assert.equal(detail.flowRun.state, "Crashed");
      const states = Object.fromEntries(detail.taskRuns.map((t: any) => [t.taskName, t.state]));
      assert.deepEqual(states, { first: "Completed", wait: "Crashed" });
      assert.deepEqual(storageJson(dir, "first.json").data, { answer: 42 });
    });
  });

  describe("cancelling (Ctrl-C)", () => {
    it("SIGINT to the CLI cancels the run: exit 130, run and task run Cancelled, and the task's signal fired", async () => {
      const dir = workspace("cancellable.ts");
      const running = startCli(["run", "cancellable.ts", "--json"], dir);
      await waitForFile(path.join(dir, "started.txt"));
      running.proc.kill("SIGINT");
      const res = await withTimeout(running, 10_000, "cancellable");
      assert.equal(res.code, 130, show(res));
      assert.ok(res.ms < 8_000, `took ${res.ms} ms`);
      const out = json(res);
      assert.equal(out.flowRun.state, "Cancelled");
      assert.deepEqual(out.taskRuns.map((t: any) => [t.taskName, t.state]), [["waiter", "Cancelled"]]);
      assert.match(fs.readFileSync(path.join(dir, "aborted.txt"), "utf8"), /Cancel/);
      const detail = await inspect(dir, out.flowRun.id);
      assert.equal(detail.flowRun.state, "Cancelled");
      assert.equal(detail.taskRuns[0].state, "Cancelled");
    });

    it("SIGTERM to the CLI cancels the run the same way", async () => {
      const dir = workspace("cancellable.ts");
      const running = startCli(["run", "cancellable.ts", "--json"], dir);
      await waitForFile(path.join(dir, "started.txt"));
      running.proc.kill("SIGTERM");
      const res = await withTimeout(running, 10_000, "cancellable");
      assert.equal(res.code, 130, show(res));
      assert.equal(json(res).flowRun.state, "Cancelled");
      assert.ok(fs.existsSync(path.join(dir, "aborted.txt")));
    });

    it("a flow that ignores the cancel is ended after the grace period (its process group is killed): exit 130, Cancelled", async function () {
      this.timeout(20_000);
      const dir = workspace("busy.ts");
      const running = startCli(["run", "busy.ts", "--json"], dir);
      const pid = Number(await waitForFile(path.join(dir, "started.txt")));
      await new Promise((r) => setTimeout(r, 100)); // let it enter the busy loop
      const t0 = Date.now();
      running.proc.kill("SIGINT");
      const res = await withTimeout(running, 15_000, "busy");
      const ms = Date.now() - t0;
      assert.equal(res.code, 130, show(res));
      assert.ok(ms < 9_000, `the CLI took ${ms} ms to end the run`);
      assert.ok(!isAlive(pid), "the flow process is gone");
      const out = json(res);
      assert.equal(out.flowRun.state, "Cancelled", show(res));
      assert.equal(out.taskRuns[0].state, "Cancelled", show(res));
    });

    it("a second Ctrl-C stops the flow at once", async () => {
      const dir = workspace("busy.ts");
      const running = startCli(["run", "busy.ts", "--json"], dir);
      const pid = Number(await waitForFile(path.join(dir, "started.txt")));
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      running.proc.kill("SIGINT");
      await new Promise((r) => setTimeout(r, 200));
      running.proc.kill("SIGINT");
      const res = await withTimeout(running, 10_000, "busy");
      assert.equal(res.code, 130, show(res));
      assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
      assert.ok(!isAlive(pid));
      assert.equal(json(res).flowRun.state, "Cancelled");
    });
  });

  describe("what a flow file can import", () => {
    it("a workspace .ts file and a package from the workspace's node_modules", async () => {
      const dir = workspace("workspace");
      write(dir, "node_modules/some-pkg/package.json", JSON.stringify({ name: "some-pkg", version: "1.0.0", main: "index.js" }));
      write(dir, "node_modules/some-pkg/index.js", `exports.shout = (s) => s.toUpperCase() + "!";\n`);
      const res = await cli(["run", "main.ts", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      assert.deepEqual(json(res).result, { twice: 42, shout: "HI!" });
    });

    it("an ESM .mjs flow file (with import.meta.url)", async () => {
      const dir = workspace("esm.mjs");
      const res = await cli(["run", "esm.mjs", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      const out = json(res);
      assert.equal(out.result.sum, 7);
      assert.equal(out.result.metaUrl, `file://${path.join(dir, "esm.mjs")}`);
      assert.equal(out.taskRuns[0].taskName, "plus");
    });

    it("a CommonJS .cjs flow file with require(\"flowline\")", async () => {
      const dir = workspace("commonjs.cjs");
      const res = await cli(["run", "commonjs.cjs", "--param", "word=loud", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      const out = json(res);
      assert.equal(out.result, "LOUD");
      assert.equal(out.flowRun.flowName, "cjs-flow");
      assert.deepEqual(out.flowRun.parameters, { word: "loud" });
    });
  });

  describe("a flow that logs faster than the terminal reads", () => {
    it("the flow process stays small while the CLI is blocked; the CLI prints every line or says how many it did not show", async function () {
      this.timeout(120_000);
      const LINES = 150_000;
      const dir = workspace();
      // 150,000 lines of ~230 characters: ~35 MB of log text that the CLI cannot print while nobody reads it.
      // Queued for the parent, it grew the flow process by ~130 MB; held to a bound, by ~20-30 MB (garbage
      // not yet collected).
      write(
        dir,
        "flood.ts",
        `import * as fs from "node:fs";\nimport { flow, getRunLogger } from "flowline";\n` +
          `const peak = () => Number(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;\n` +
          `export const flood = flow({ name: "flood" }, async () => {\n  const log = getRunLogger();\n  const pad = "x".repeat(220);\n` +
          `  const before = peak();\n  for (let i = 0; i < ${LINES}; i++) log.info(\`line \${i} \${pad}\`);\n` +
          `  fs.writeFileSync("returned.json", JSON.stringify({ before, after: peak() }));\n  return ${LINES};\n});\n`,
      );
      // No cap on the run's log lines (FLOWLINE_MAX_LOG_LINES): every line is recorded, and shown or counted.
      const env = cliEnv({ FLOWLINE_MAX_LOG_LINES: "0", FLOWLINE_MAX_LOG_BYTES: "0" });
      const proc = spawn(process.execPath, [CLI, "run", "flood.ts"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      started.add(proc);
      proc.stdout!.resume();
      const closed = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
      // Nobody reads the CLI's stderr (where log lines go) yet: its writes block, and it stops reading what the flow sends.
      proc.stderr!.pause();
      const { before, after } = JSON.parse(await waitForFile(path.join(dir, "returned.json"), 90_000)) as { before: number; after: number };
      const grewMB = (after - before) / 1024 / 1024;
      assert.ok(grewMB < 60, `the flow process grew ${grewMB.toFixed(1)} MB while its parent was not reading`);
      let stderr = "";
      proc.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
      proc.stderr!.resume();
      assert.equal(await closed, 0, stderr.slice(-2000));
      started.delete(proc);
      const shown = [...stderr.matchAll(/\| INFO {4}\| Flow run '[^']+' - line (\d+) x+$/gm)].map((m) => Number(m[1]));
      assert.ok(shown.every((n, i) => i === 0 || n > shown[i - 1]), "lines shown out of order or twice");
      const notShown = /flowline: ([\d,]+) log lines not shown live; they are in the run's logs \(flowline runs inspect \S+ --logs all\)\./.exec(stderr);
      assert.ok(notShown, `no count of the lines not shown:\n${stderr.slice(-2000)}`);
      // Every line the run logged (its own and "Beginning flow run", "Finished in state") is shown or counted.
      const shownAll = stderr.match(/^\d\d:\d\d:\d\d\.\d{3} \| \w+ +\| Flow run /gm)?.length ?? 0;
      assert.equal(shownAll + Number(notShown[1].replace(/,/g, "")), LINES + 2);
      assert.ok(shown.length > 0 && shown.length < LINES);
    });
  });

  describe("runs and artifacts", () => {
    it("runs ls --json lists runs newest first; runs inspect takes an id or a unique prefix; an unknown id exits 2", async () => {
      const dir = workspace("two-flows.ts");
      const first = json(await cli(["run", "two-flows.ts:doubler", "--json"], dir));
      const second = json(await cli(["run", "two-flows.ts:add", "--param", "a=1", "--json"], dir));

      const ls = await cli(["runs", "ls", "--json"], dir);
      assert.equal(ls.code, 0, show(ls));
      const runs = json<any[]>(ls);
      assert.ok(Array.isArray(runs));
      assert.deepEqual(runs.map((r) => r.id), [second.flowRun.id, first.flowRun.id]);
      assert.deepEqual(runs.map((r) => r.flowName), ["adder", "double-it"]);
      assert.deepEqual(runs.map((r) => r.state), ["Completed", "Completed"]);

      const byId = await inspect(dir, first.flowRun.id);
      assert.equal(byId.flowRun.id, first.flowRun.id);
      assert.equal(byId.flowRun.flowName, "double-it");
      assert.ok(Array.isArray(byId.logs) && byId.logs.length > 0);

      const prefix = first.flowRun.id.slice(0, 8);
      const byPrefix = await inspect(dir, prefix);
      assert.equal(byPrefix.flowRun.id, first.flowRun.id);

      const text = await cli(["runs", "inspect", prefix], dir);
      assert.equal(text.code, 0, show(text));
      assert.match(text.stdout, new RegExp(`Flow run\\s+${escape(first.flowRun.name)} \\(${first.flowRun.id}\\)`));

      assertUsageError(await cli(["runs", "inspect", "ffffffff-0000"], dir), /ffffffff-0000/);
    });

    it("artifacts ls --json on an empty store prints []", async () => {
      const dir = workspace();
      const res = await cli(["artifacts", "ls", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      assert.deepEqual(json(res), []);
      const runs = await cli(["runs", "ls", "--json"], dir);
      assert.equal(runs.code, 0, show(runs));
      assert.deepEqual(json(runs), []);
    });
  });

  describe("caching across processes", () => {
    it("a task with cacheKeyFn: taskInputHash run by two CLI runs ends Cached the second time, without running", async () => {
      const dir = workspace("cached.ts");
      const first = await cli(["run", "cached.ts", "--json"], dir);
      assert.equal(first.code, 0, show(first));
      assert.equal(json(first).result, 9);
      assert.equal(json(first).taskRuns[0].stateName, "Completed");

      const second = await cli(["run", "cached.ts", "--json"], dir);
      assert.equal(second.code, 0, show(second));
      const out = json(second);
      assert.equal(out.result, 9);
      assert.equal(out.taskRuns[0].state, "Completed");
      assert.equal(out.taskRuns[0].stateName, "Cached");
      assert.equal(fs.readFileSync(path.join(dir, "counter.txt"), "utf8"), "ran 3\n", "the task body ran once");

      // Other inputs, another key: the task runs.
      const other = await cli(["run", "cached.ts", "--param", "n=4", "--json"], dir);
      assert.equal(json(other).result, 16);
      assert.equal(json(other).taskRuns[0].stateName, "Completed");
      assert.equal(fs.readFileSync(path.join(dir, "counter.txt"), "utf8"), "ran 3\nran 4\n");
    });
  });

  describe("processes the flow leaves behind", () => {
    it("a process the flow started that keeps its stdout open does not keep the CLI waiting", async () => {
      const dir = workspace("grandchild.ts");
      const res = await cli(["run", "grandchild.ts", "--json"], dir, { timeoutMs: 8_000 });
      assert.equal(res.code, 0, show(res));
      const out = json(res);
      assert.match(res.stderr, /flow printed this/);
      assert.ok(res.ms < 6_000, `took ${res.ms} ms (the process it left runs 10 s)`);
      if (typeof out.result === "number" && isAlive(out.result)) process.kill(out.result, "SIGKILL");
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
