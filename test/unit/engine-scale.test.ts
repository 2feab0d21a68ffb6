// A flow of very many task runs: what the engine keeps in memory, and when submitted runs start. The
// million itself is in the bench (bench/engine-million.mjs); these use smaller counts.
import { strict as assert } from "node:assert";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { flow, task, type Future } from "flowline";
import { TestEngine } from "./helpers/engine";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** The heap in use once garbage is collected (twice: weak references are cleared on the second). */
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("flows of many task runs", function () {
  this.timeout(60_000);
  beforeEach(() => {
    new TestEngine();
  });

  it("task.map over 100,000 items holds small futures until the runs start, not 100,000 runs in flight", async () => {
    const n = 100_000;
    const item = task({ name: "item" }, async (i: number) => i);
    let bytesPerRun = 0;
    const sum = await flow(async () => {
      const items = range(n);
      const before = heapUsed();
      const futures = item.map(items);
      bytesPerRun = (heapUsed() - before) / n;
      assert.equal(futures[0].state.type, "Pending");
      let total = 0;
      for (const f of futures) total += await f.result();
      return total;
    })();
    assert.equal(sum, (n * (n - 1)) / 2);
    assert.ok(bytesPerRun < 250, `${bytesPerRun.toFixed(0)} bytes a mapped run before any started`);
  });

  it("finished task runs are released, and a future still referenced keeps its value", async () => {
    const make = task({ name: "make" }, async (i: number) => ({ i }));
    const released: WeakRef<object>[] = [];
    let kept!: Future<{ i: number }>;
    await flow(async () => {
      kept = make.submit(-1);
      for (let i = 0; i < 20_000; i++) {
        const value = await make(i);
        if (i % 1000 === 0) released.push(new WeakRef(value));
      }
    })();
    // A WeakRef keeps its target until the current task ends: let it end first.
    await new Promise((resolve) => setImmediate(resolve));
    heapUsed();
    assert.equal(released.filter((ref) => ref.deref() !== undefined).length, 0, "values of finished task runs nothing refers to are still held");
    assert.equal(kept.state.type, "Completed");
    assert.deepEqual(await kept.result(), { i: -1 });
  });

  it("submitted task runs all start without waiting for one another, past the runs started in one turn", async () => {
    // Every run waits until all of them have started: a cap on runs in flight would never let the last start.
    const n = 2500;
    const started: number[] = [];
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const waiter = task({ name: "waiter" }, async (i: number) => {
      started.push(i);
      if (started.length === n) openGate();
      await gate;
      return i;
    });
    const values = await flow(async () => Promise.all(waiter.map(range(n)).map((f) => f.result())))();
    assert.deepEqual(values, range(n));
    assert.deepEqual(started, range(n), "runs start in the order they were submitted");
  });

  it("a sequential task runner goes through 20,000 synchronous task functions without growing the stack", async () => {
    const sync = task({ name: "sync" }, (i: number) => i * 2);
    let order: number[] = [];
    const total = await flow({ taskRunner: "sequential" }, async () => {
      const futures = sync.map(range(20_000));
      order = [];
      for (const f of futures) order.push(await f.result());
      return order.length;
    })();
    assert.equal(total, 20_000);
    assert.deepEqual(order.slice(0, 3), [0, 2, 4]);
    assert.equal(order[19_999], 39_998);
  });

  it("task.map takes its arrays as they are when called: changing them afterwards changes no run", async () => {
    const echo = task({ name: "echo" }, async (x: string, y: string) => `${x}${y}`);
    const out = await flow(async () => {
      const xs = ["a", "b", "c"];
      const ys = ["1", "2", "3"];
      const futures = echo.map(xs, ys);
      xs.length = 0;
      ys[1] = "changed";
      return Promise.all(futures.map((f) => f.result()));
    })();
    assert.deepEqual(out, ["a1", "b2", "c3"]);
  });

  it("runs of a map are numbered in the order called, as runs called directly in between are", async () => {
    const engine = new TestEngine();
    const step = task({ name: "step" }, async (i: number) => i);
    await flow(async () => {
      const first = step.map([10, 11]);
      await step(12);
      await Promise.all(first.map((f) => f.wait()));
    })();
    const names = new Map(engine.taskRuns().map((r) => [(r.parameters as { i: number }).i, r.name]));
    assert.deepEqual([names.get(10), names.get(11), names.get(12)], ["step-0", "step-1", "step-2"]);
  });
});
