import { strict as assert } from "node:assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { OwnBlocks } from "../../src/extension/own-blocks";
import { ThreadCpu } from "../../src/extension/thread-cpu";

// The extension-host measurement aid that tells Flowline's work from time its thread spent off a CPU
// (bench/extension-scale.mjs). Time the thread runs, time it is blocked in a call, and time it is ready
// but waits for a CPU must come out apart: the last is made by pinning this thread and a busy process to
// one CPU. Linux only (/proc/<pid>/task/<tid>/schedstat, taskset), as the bench is.

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Holds this thread for `ms` without running: as a thread waiting for a CPU does. */
function waitOffCpu(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Holds this thread for `ms`, running. */
function spinOnCpu(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pins this process's main thread to CPU 0 with a busy process, until `release`. */
function shareOneCpu(): { release(): void } {
  const before = execFileSync("taskset", ["-p", String(process.pid)], { encoding: "utf8" })
    .trim()
    .split(" ")
    .pop()!;
  const hog: ChildProcess = spawn("taskset", ["-c", "0", process.execPath, "-e", "for (;;) {}"], { stdio: "ignore" });
  execFileSync("taskset", ["-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
  return {
    release() {
      execFileSync("taskset", ["-p", before, String(process.pid)], { stdio: "ignore" });
      hog.kill("SIGKILL");
    },
  };
}

describe("the extension host's CPU-time measure", function () {
  this.timeout(30_000);
  before(function () {
    if (process.platform !== "linux") this.skip(); // the counters are read from Linux's /proc
  });

  it("tells time on a CPU, time blocked in a call, and time waiting for a CPU apart", async () => {
    const cpu = ThreadCpu.start();
    assert.ok(cpu, "the main thread's schedstat can be read on Linux");
    try {
      await tick(300); // the worker's first readings
      const a = nowUs();
      spinOnCpu(150);
      const b = nowUs();
      waitOffCpu(150);
      const c = nowUs();
      const shared = shareOneCpu();
      let d: number;
      let e: number;
      try {
        await tick(100); // the busy process is running
        d = nowUs();
        spinOnCpu(300);
        e = nowUs();
      } finally {
        shared.release();
      }
      await tick(50); // a reading after the spans
      const ms = (counter: "ran" | "waited", from: number, to: number) => cpu.between(counter, from, to)! / 1000;
      const spin = { ran: ms("ran", a, b), waited: ms("waited", a, b) };
      const blocked = { ran: ms("ran", b, c), waited: ms("waited", b, c) };
      const crowded = { ran: ms("ran", d, e), waited: ms("waited", d, e), span: (e - d) / 1000 };
      assert.ok(spin.ran > 90 && spin.waited < 50, `spinning 150 ms alone: ${JSON.stringify(spin)}`);
      assert.ok(blocked.ran < 30 && blocked.waited < 30, `blocked 150 ms in a call: ${JSON.stringify(blocked)}`);
      assert.ok(
        crowded.waited > 60 && crowded.ran < crowded.span - 60,
        `spinning 300 ms on a CPU shared with a busy process: ${JSON.stringify(crowded)}`,
      );
      assert.equal(cpu.between("ran", c + 60_000_000, c + 60_001_000), undefined, "no figure for a span outside the readings");
    } finally {
      cpu.dispose();
    }
  });

  it("gives Flowline's part of a block as sampled, less the wait for a CPU, and on a CPU", async () => {
    const blocks = new OwnBlocks((url) => url.includes("thread-cpu.test"));
    try {
      await tick(300);
      const since = Date.now();
      waitOffCpu(150);
      await tick(50);
      const shared = shareOneCpu();
      try {
        await tick(100);
        spinOnCpu(300);
      } finally {
        shared.release();
      }
      // The profile is analysed when it is restarted, every 2 s.
      const byTop = (name: string) => blocks.since(since).find((b) => b.top[0]?.startsWith(name));
      for (let i = 0; i < 60 && !(byTop("waitOffCpu") && byTop("spinOnCpu")); i++) await tick(100);
      const blocked = byTop("waitOffCpu");
      const crowded = byTop("spinOnCpu");
      assert.ok(blocked && crowded, `a block in each function: ${JSON.stringify(blocks.since(since))}`);
      assert.ok(blocked.flowlineMs > 100 && blocked.flowlineHeldMs! > 100, `a block in a call is Flowline's: ${JSON.stringify(blocked)}`);
      assert.ok(blocked.flowlineCpuMs! < 40, `though it hardly ran: ${JSON.stringify(blocked)}`);
      assert.ok(crowded.flowlineMs > 200, `the crowded block is sampled in our function: ${JSON.stringify(crowded)}`);
      assert.ok(crowded.flowlineHeldMs! < crowded.flowlineMs - 60, `less the time it waited for the CPU: ${JSON.stringify(crowded)}`);
    } finally {
      blocks.dispose();
    }
  });
});
