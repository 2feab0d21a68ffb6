// A CPU-bound task past its timeout ends TimedOut (issue 15, item 6). JavaScript cannot interrupt a
// synchronous body, but when it returns after timeoutSeconds its run is TimedOut and its value discarded,
// as Prefect does for a timed-out sync task.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { flow, task } from "../../src/engine/index";
import { TestEngine } from "./helpers/engine";

/** Keeps the thread busy (no await) for `ms`: a CPU-bound body. */
function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe("timeouts of code that blocks the event loop", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });
  const finalOf = (taskName: string) => engine.finalState(engine.taskRuns().find((t) => t.taskName === taskName)?.id ?? "");

  it("a synchronous task that returns after its timeout is TimedOut, its value discarded and not stored", async () => {
    const crunch = task({ name: "crunch", timeoutSeconds: 0.05, persistResult: true, resultStorageKey: "crunch.json" }, () => {
      spin(200);
      return 42;
    });
    // (A flow returning a State takes it as its own: the test returns what it saw instead.)
    const seen = await flow({ name: "cpu" }, async () => {
      const state = await crunch.submit().wait();
      return { name: state.name, message: state.message };
    })();
    assert.equal(seen.name, "TimedOut");
    assert.match(seen.message ?? "", /crunch-0' exceeded timeout of 0.05 seconds; its synchronous code ran past it/);
    assert.deepEqual([finalOf("crunch")?.type, finalOf("crunch")?.name], ["Failed", "TimedOut"]);
    assert.equal(fs.existsSync(engine.storage("crunch.json")), false, "the late value is not stored");
  });

  it("an async task whose synchronous part runs past the timeout is TimedOut too; one within it completes", async () => {
    const late = task({ name: "late", timeoutSeconds: 0.05 }, async () => {
      spin(200);
      return "late";
    });
    const quick = task({ name: "quick", timeoutSeconds: 5 }, async () => {
      spin(10);
      return "quick";
    });
    const names = await flow({ name: "mixed-cpu" }, async () => [(await late.submit().wait()).name, (await quick.submit().wait()).name])();
    assert.deepEqual(names, ["TimedOut", "Completed"]);
  });

  it("a flow whose synchronous body returns after its timeout is TimedOut", async () => {
    const f = flow({ name: "slow-flow", timeoutSeconds: 0.05 }, () => {
      spin(200);
      return 1;
    });
    await assert.rejects(f(), /exceeded timeout of 0.05 seconds/);
    assert.equal(engine.finalState(engine.flowRuns()[0].id)?.name, "TimedOut");
  });
});
