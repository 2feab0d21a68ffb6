// Prefect's future idioms in the real engine (issue 15, items 1, 3 and 4): futures at any depth in a task's
// arguments, waitFor/allowFailure, and a flow that returns futures.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { allowFailure, flow, task, waitFor } from "../../src/engine/index";
import { TestEngine } from "./helpers/engine";

describe("futures as a Prefect user passes them", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });

  const add = task({ name: "add" }, async (x: number, y: number) => x + y);
  const sum = task({ name: "sum" }, async ({ xs }: { xs: number[] }) => xs.reduce((a, b) => a + b, 0));
  const boom = task({ name: "boom" }, async (): Promise<number> => {
    throw new Error("boom");
  });
  const runOf = (taskName: string) => {
    const runs = engine.taskRuns().filter((t) => t.taskName === taskName);
    assert.equal(runs.length, 1, `one run of ${taskName}`);
    return runs[0];
  };

  it("awaits futures inside an object parameter, nested objects and arrays, and records their values", async () => {
    const report = task({ name: "report" }, async (cfg: { totals: { a: number[] }; pair: [number, string] }) => `${cfg.totals.a.join("+")} ${cfg.pair[0]}${cfg.pair[1]}`);
    const result = await flow({ name: "deep" }, async () => ({
      total: await sum({ xs: add.map([1, 2, 3], [10, 20, 30]) }),
      text: await report({ totals: { a: [add.submit(1, 1), 5] }, pair: [add.submit(2, 2), "!"] }),
    }))();
    assert.deepEqual(result, { total: 66, text: "2+5 4!" });
    assert.deepEqual(runOf("sum").parameters, { xs: [11, 22, 33] }, "stored parameters show values, not futures");
    // One plain object given to a lone parameter: its keys are the parameters.
    assert.deepEqual(runOf("report").parameters, { totals: { a: [2, 5] }, pair: [4, "!"] });
  });

  it("a failed upstream at any depth makes the task NotReady, and it never runs", async () => {
    let ran = false;
    const consume = task({ name: "consume" }, async ({ inputs }: { inputs: { deep: number[] } }) => {
      ran = true;
      return inputs.deep.length;
    });
    const f = flow({ name: "upstream-fails" }, async () => {
      const state = await consume.submit({ inputs: { deep: [add.submit(1, 2), boom.submit()] } }).wait();
      return state.name;
    });
    assert.equal(await f(), "NotReady");
    assert.equal(ran, false);
    assert.equal(engine.finalState(runOf("consume").id)?.name, "NotReady");
  });

  it("waitFor(a, b) runs a task after both end without passing their values; allowFailure lets it run after a failure", async () => {
    const order: string[] = [];
    const slow = task({ name: "slow" }, async (name: string) => {
      await new Promise((r) => setTimeout(r, 30));
      order.push(name);
      return name;
    });
    const next = task({ name: "next" }, async (x: number) => {
      order.push(`next ${x}`);
      return x;
    });
    const result = await flow({ name: "ordering" }, async () => {
      const a = slow.submit("a");
      const b = slow.submit("b");
      const first = await next.submit(5, waitFor(a, b)).result();
      const bad = boom.submit();
      const second = await next.submit(6, waitFor(allowFailure(bad))).result();
      const blocked = (await next.submit(7, waitFor(bad)).wait()).name;
      return { first, second, blocked };
    })();
    assert.deepEqual(result, { first: 5, second: 6, blocked: "NotReady" });
    assert.deepEqual(order, ["a", "b", "next 5", "next 6"]);
    const params = engine.taskRuns().filter((t) => t.taskName === "next").map((t) => t.parameters);
    assert.deepEqual(params.slice(0, 2), [{ x: 5 }, { x: 6 }], "the marker is not a parameter");
  });

  it("allowFailure(future) as an argument passes the value, or the error the upstream failed with", async () => {
    const describe = task({ name: "describe" }, async (v: unknown) => (v instanceof Error ? `error: ${v.message}` : `value: ${String(v)}`));
    const shown = await flow({ name: "tolerant" }, async () => [await describe(allowFailure(boom.submit())), await describe(allowFailure(add.submit(1, 1)))])();
    assert.deepEqual(shown, ["error: boom", "value: 2"]);
  });

  it("a flow returning futures takes its final state from them: Failed if one failed, else their values", async () => {
    const ok = task({ name: "ok" }, async () => "ok");
    const mixed = flow({ name: "mixed" }, async () => [ok.submit(), boom.submit()]);
    // Called from code, it throws what the failed future failed with, as Prefect raises it.
    await assert.rejects(mixed(), /^Error: boom$/);
    const failed = engine.finalState(engine.flowRuns().find((r) => r.flowName === "mixed")?.id ?? "");
    assert.equal(failed?.type, "Failed");
    assert.match(failed?.message ?? "", /^1 of 2 futures the flow returned did not complete \(the first: Failed: .*boom\)\.$/);

    const good = flow({ name: "good", persistResult: true, resultStorageKey: "good.json" }, async () => ({ first: ok.submit(), rest: [add.submit(1, 2)] }));
    assert.deepEqual(await good(), { first: "ok", rest: [3] });
    const stored = JSON.parse(fs.readFileSync(engine.storage("good.json"), "utf8")) as { data: unknown };
    assert.deepEqual(stored.data, { first: "ok", rest: [3] }, "the stored result holds values, not futures");
  });
});
