import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import { SpawnThread, type RemoteChild } from "../../src/runner/spawn-thread";
import { until } from "./helpers/until";

// The extension starts flow processes from a worker thread, so the fork never holds the extension host's
// thread (spawn-thread.ts). The stand-in must behave as the ChildProcess the runner drove before: real
// processes here, started, spoken to, killed, and collected when they end.

const node = process.execPath;
const opts = { stdio: ["ignore", "pipe", "pipe", "ipc"] as ["ignore", "pipe", "pipe", "ipc"], detached: true, serialization: "advanced" as const };

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0); // a zombie (ended, not collected) still answers
    return false;
  } catch {
    return true;
  }
}

const closed = (child: ChildProcess) => new Promise<[number | null, string | null]>((resolve) => child.on("close", (code, signal) => resolve([code, signal])));

describe("flow processes started from a worker thread", function () {
  this.timeout(30_000);
  let thread: SpawnThread;
  beforeEach(() => (thread = new SpawnThread()));
  afterEach(() => thread.dispose());

  it("starts the process off this thread, and relays its messages, output and exit", async () => {
    const script = `process.on("message", (m) => { process.stdout.write("got " + m.n + "\\n"); process.stderr.write("é"); process.send({ back: m.n * 2, when: new Date(0) }); process.disconnect(); process.exitCode = 3; });`;
    const child = thread.spawn(node, ["-e", script], opts);
    assert.equal(child.pid, undefined, "not forked by this thread: its pid comes from the thread");
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr!.setEncoding("utf8").on("data", (t: string) => (err += t));
    const messages: unknown[] = [];
    child.on("message", (m) => messages.push(m));
    const end = closed(child);
    child.send({ n: 21 }); // sent before the pid is known: it goes after the start
    assert.deepEqual(await end, [3, null]);
    assert.ok(typeof child.pid === "number" && child.pid > 0);
    assert.deepEqual(messages, [{ back: 42, when: new Date(0) }], "structured values cross as they do over IPC");
    assert.equal(out, "got 21\n");
    assert.equal(err, "é", "text split across chunks is decoded whole");
    assert.equal(child.exitCode, 3);
    assert.equal(child.connected, false);
    await until(() => gone(child.pid!), "the ended process to be collected (no zombie)");
  });

  it("kills a process with everything it started", async () => {
    const script = `const { spawn } = require("node:child_process"); const g = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }); process.send({ grandchild: g.pid }); setInterval(() => {}, 1000);`;
    const child = thread.spawn(node, ["-e", script], opts) as unknown as RemoteChild;
    const grandchild = await new Promise<number>((resolve) => child.once("message", (m: { grandchild: number }) => resolve(m.grandchild)));
    const end = closed(child as unknown as ChildProcess);
    child.killGroup("SIGKILL");
    assert.deepEqual(await end, [null, "SIGKILL"]);
    await until(() => gone(grandchild), "the grandchild to end with its group");
  });

  it("tells a process that could not be started, as spawn does", async () => {
    const child = thread.spawn("/nonexistent/node", ["-e", "0"], opts);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.on("error", resolve));
    assert.equal(error.code, "ENOENT");
    assert.match(error.syscall ?? "", /^spawn/);
    await closed(child);
    assert.equal(child.connected, false);
  });

  it("when disposed, starts nothing more, and ends once its processes have ended and been collected", async () => {
    const child = thread.spawn(node, ["-e", "setInterval(() => {}, 1000)"], opts);
    await until(() => child.pid !== undefined, "the process to start");
    const pid = child.pid!;
    thread.dispose();
    const refused = thread.spawn(node, ["-e", "0"], opts);
    const refusal = await new Promise<Error>((resolve) => refused.on("error", resolve));
    assert.match(refusal.message, /shutting down/);
    const end = closed(child);
    child.kill("SIGKILL"); // still reaches the process: the thread waits for it
    assert.deepEqual(await end, [null, "SIGKILL"]);
    await until(() => gone(pid), "the killed process to be collected (no zombie)");
  });
});
