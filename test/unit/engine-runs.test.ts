import { strict as assert } from "node:assert";
import {
  flow,
  task,
  unmapped,
  getRunLogger,
  runtime,
  State,
  Completed,
  TimeoutError,
  MissingContextError,
  exponentialBackoff,
} from "flowline";
import { runFlowWithParameters } from "../../src/engine/flow";
import { retryDelaySeconds } from "../../src/engine/retries";
import { TestEngine } from "./helpers/engine";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("flows and tasks", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });

  it("a task called inside a flow resolves to its value and records Pending → Running → Completed", async () => {
    const double = task(async function double(n: number) {
      return n * 2;
    });
    const f = flow(async () => (await double(21)) + 0);
    assert.equal(await f(), 42);
    const [tr] = engine.taskRuns();
    assert.equal(tr.taskName, "double");
    assert.equal(tr.name, "double-0");
    assert.deepEqual(tr.parameters, { n: 21 });
    assert.deepEqual(engine.states(tr.id), ["Pending", "Running", "Completed"]);
    assert.deepEqual(engine.states(engine.flowRuns()[0].id), ["Pending", "Running", "Completed"]);
  });

  it("task runs of one task are numbered as Prefect names them", async () => {
    const t = task({ name: "say" }, async () => 1);
    await flow(async () => {
      await t();
      await t();
      await t();
    })();
    assert.deepEqual(engine.taskRuns().map((r) => r.name), ["say-0", "say-1", "say-2"]);
  });

  it("parameters that are not JSON are shown by their type and never crash the run", async () => {
    const t = task({ name: "odd" }, async (_p: { fn: () => void; when: Date; m: Map<string, number>; big: bigint }) => "ok");
    const value = await flow(async () => t({ fn: function helper() {}, when: new Date(0), m: new Map([["a", 1]]), big: 5n }))();
    assert.equal(value, "ok");
    assert.deepEqual(engine.taskRuns()[0].parameters, { fn: "[Function helper]", when: "1970-01-01T00:00:00.000Z", m: { a: 1 }, big: "5" });
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    await flow(async () => t(circular as never))();
    // The parameters are a shallow copy of the argument, so the cycle shows one level down.
    assert.deepEqual(engine.taskRuns()[1].parameters, { name: "loop", self: { name: "loop", self: "[Circular]" } });
  });

  it("calling a task outside a flow is an error that says to use .fn", async () => {
    const t = task(async function greet() {
      return "hi";
    });
    assert.throws(() => t(), (err: Error) => err instanceof MissingContextError && /greet\.fn\(/.test(err.message));
    assert.equal(await t.fn(), "hi");
  });

  it("names default to the function's name and flow runs get adjective-animal names", async () => {
    const f = flow(async function etlPipeline() {});
    assert.equal(f.name, "etlPipeline");
    await f();
    assert.match(engine.flowRuns()[0].name, /^[a-z]+-[a-z]+$/);
  });

  it("flowRunName and taskRunName templates use the parameters", async () => {
    const t = task({ taskRunName: "greet-{name}" }, async ({ name }: { name: string }) => name);
    const f = flow({ flowRunName: "run-for-{who}" }, async ({ who }: { who: string }) => {
      await t({ name: who });
    });
    await f({ who: "ada" });
    assert.equal(engine.flowRuns()[0].name, "run-for-ada");
    assert.equal(engine.taskRuns()[0].name, "greet-ada");
  });

  it("a flow that throws ends Failed and rejects with the same error", async () => {
    const boom = new Error("boom");
    const f = flow(async () => {
      throw boom;
    });
    await assert.rejects(f(), (err) => err === boom);
    assert.equal(engine.finalState(engine.flowRuns()[0].id)?.type, "Failed");
  });

  it("a thrown Proxy ends the task run and the flow run Failed, not Crashed, and none of its traps run", async () => {
    const trapsRun: string[] = [];
    const trap = (name: string) => () => {
      trapsRun.push(name);
      throw new Error(`trap ${name}`);
    };
    const hostile = () =>
      new Proxy({}, { get: trap("get"), getPrototypeOf: trap("getPrototypeOf"), has: trap("has"), ownKeys: trap("ownKeys"), getOwnPropertyDescriptor: trap("getOwnPropertyDescriptor") });
    const t = task({ name: "throws-a-proxy" }, async () => {
      throw hostile();
    });
    const viaTask = await runFlowWithParameters(flow({ name: "awaits-it" }, async () => t()), {});
    assert.equal(viaTask.state.type, "Failed");
    assert.equal(engine.finalState(engine.taskRuns()[0].id)?.type, "Failed");
    assert.match(engine.finalState(engine.taskRuns()[0].id)?.message ?? "", /encountered an exception: a Proxy object/);
    const direct = await runFlowWithParameters(flow({ name: "throws-it" }, async () => { throw hostile(); }), {});
    assert.equal(direct.state.type, "Failed");
    assert.match(direct.state.message ?? "", /Flow run encountered an exception: a Proxy object/);
    assert.deepEqual(trapsRun, []);
  });

  it("a flow that returns nothing while a task it ran failed ends Failed", async () => {
    const bad = task(async () => {
      throw new Error("task broke");
    });
    const f = flow(async () => {
      await bad().catch(() => undefined);
    });
    const outcome = await runFlowWithParameters(f, {});
    assert.equal(outcome.state.type, "Failed");
    assert.match(outcome.state.message ?? "", /1 of 1 task or subflow runs failed/);
  });

  it("a flow that returns a value ends Completed even if a caught task failed, as in Prefect", async () => {
    const bad = task(async () => {
      throw new Error("x");
    });
    const f = flow(async () => {
      await bad().catch(() => undefined);
      return "fine";
    });
    assert.equal(await f(), "fine");
  });

  it("a flow that returns a State ends in that state", async () => {
    const f = flow(async () => Completed("done", "all good", "Skipped"));
    const outcome = await runFlowWithParameters(f, {});
    assert.equal(outcome.state.name, "Skipped");
    assert.equal(outcome.state.message, "all good");
    assert.ok(outcome.state instanceof State);
  });

  it("subflows record parentFlowRunId and their failure fails the parent", async () => {
    const child = flow({ name: "child" }, async () => {
      throw new Error("child failed");
    });
    const parent = flow({ name: "parent" }, async () => {
      await child().catch(() => undefined);
    });
    const outcome = await runFlowWithParameters(parent, {});
    const [p, c] = engine.flowRuns();
    assert.equal(c.parentFlowRunId, p.id);
    assert.equal(outcome.state.type, "Failed");
  });

  it("submit returns futures with state, wait() and result()", async () => {
    const slow = task(async (x: number) => {
      await sleep(5);
      return x + 1;
    });
    const seen: string[] = [];
    await flow(async () => {
      const fut = slow.submit(1);
      seen.push(fut.state.type);
      const state = await fut.wait();
      seen.push(state.type);
      seen.push(String(await fut.result()));
    })();
    assert.deepEqual(seen, ["Pending", "Completed", "2"]);
  });

  it("futures passed to another task are resolved to their values", async () => {
    const one = task(async () => 1);
    const add = task(async (a: number, b: number) => a + b);
    const total = await flow(async () => add.submit(one.submit(), 10).result())();
    assert.equal(total, 11);
  });

  it("a task given a failed future does not run and ends NotReady", async () => {
    let ran = false;
    const bad = task(async (): Promise<number> => {
      throw new Error("upstream");
    });
    const after = task({ name: "after" }, async (n: number) => {
      ran = true;
      return n;
    });
    await flow(async () => {
      await after.submit(bad.submit()).wait();
    })().catch(() => undefined);
    assert.equal(ran, false);
    const afterRun = engine.taskRuns().find((t) => t.taskName === "after")!;
    assert.equal(engine.finalState(afterRun.id)?.name, "NotReady");
  });

  it("map fans out over arrays, broadcasting unmapped and plain values", async () => {
    const mul = task(async (x: number, factor: number, label: string) => `${label}${x * factor}`);
    const out = await flow(async () => {
      const futures = mul.map([1, 2, 3], unmapped(10), "v");
      return Promise.all(futures.map((f) => f.result()));
    })();
    assert.deepEqual(out, ["v10", "v20", "v30"]);
  });

  it("map over an object maps its array fields", async () => {
    const greet = task(async ({ name, greeting }: { name: string; greeting: string }) => `${greeting} ${name}`);
    const out = await flow(async () => Promise.all(greet.map({ name: ["a", "b"], greeting: unmapped("hi") }).map((f) => f.result())))();
    assert.deepEqual(out, ["hi a", "hi b"]);
  });

  it("map with arrays of different lengths is a clear error", async () => {
    const t = task(async (a: number, b: number) => a + b);
    await assert.rejects(flow(async () => t.map([1, 2], [1]))(), /same length: argument 1 has 2, argument 2 has 1/);
  });

  it("the sequential task runner runs submitted tasks one at a time", async () => {
    let active = 0;
    let most = 0;
    const t = task(async (_n: number) => {
      active++;
      most = Math.max(most, active);
      await sleep(5);
      active--;
    });
    await flow({ taskRunner: "sequential" }, async () => {
      await Promise.all(t.map([1, 2, 3, 4]).map((f) => f.wait()));
    })();
    assert.equal(most, 1);
  });

  it("maxConcurrency bounds submitted tasks", async () => {
    let active = 0;
    let most = 0;
    const t = task(async (_n: number) => {
      active++;
      most = Math.max(most, active);
      await sleep(5);
      active--;
    });
    await flow({ taskRunner: { type: "concurrent", maxConcurrency: 2 } }, async () => {
      await Promise.all(t.map([1, 2, 3, 4, 5, 6]).map((f) => f.wait()));
    })();
    assert.equal(most, 2);
  });

  it("a flow waits for submitted task runs it did not await", async () => {
    let finished = false;
    const t = task(async () => {
      await sleep(20);
      finished = true;
    });
    await flow(async () => {
      t.submit();
    })();
    assert.equal(finished, true);
  });

  it("a forgotten failing task call does not crash the process and fails the flow", async () => {
    const bad = task(async () => {
      throw new Error("nobody awaited me");
    });
    const outcome = await runFlowWithParameters(
      flow(async () => {
        void bad();
      }),
      {},
    );
    assert.equal(outcome.state.type, "Failed");
  });
});

describe("retries, timeouts and cancellation", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });

  it("a task retries until it succeeds, going through AwaitingRetry and Retrying", async () => {
    let calls = 0;
    const flaky = task({ retries: 2, retryDelaySeconds: 0 }, async () => {
      calls++;
      if (calls < 3) throw new Error(`fail ${calls}`);
      return runtime.taskRun.runCount;
    });
    assert.equal(await flow(async () => flaky())(), 3);
    const id = engine.taskRuns()[0].id;
    assert.deepEqual(engine.states(id), ["Pending", "Running", "AwaitingRetry", "Retrying", "AwaitingRetry", "Retrying", "Completed"]);
  });

  it("a task that runs out of retries ends Failed with its last error", async () => {
    let calls = 0;
    const t = task({ retries: 1 }, async () => {
      calls++;
      throw new Error(`attempt ${calls}`);
    });
    await assert.rejects(flow(async () => t())(), /attempt 2/);
    assert.equal(calls, 2);
  });

  it("retry delays take a number, a list or a function of the attempt", async () => {
    const delays: number[] = [];
    const measure = (option: number | number[] | ((n: number) => number)) =>
      task({ retries: 2, retryDelaySeconds: option }, async () => {
        delays.push(Date.now());
        throw new Error("again");
      });
    const run = async (option: number | number[] | ((n: number) => number)) => {
      delays.length = 0;
      await flow(async () => measure(option)())().catch(() => undefined);
      return [delays[1] - delays[0], delays[2] - delays[1]];
    };
    const [a1, a2] = await run(0.05);
    assert.ok(a1 >= 45 && a2 >= 45, `number: ${a1}, ${a2}`);
    const [b1, b2] = await run([0, 0.08]);
    assert.ok(b1 < 40 && b2 >= 75, `list: ${b1}, ${b2}`);
    const [c1, c2] = await run(exponentialBackoff(0.03));
    assert.ok(c1 >= 25 && c2 >= 55, `backoff: ${c1}, ${c2}`);
  });

  it("retry jitter spreads the delay around its base", async () => {
    const samples = Array.from({ length: 200 }, () => retryDelaySeconds(10, 1, 0.5));
    assert.ok(samples.every((s) => s >= 5 && s <= 15));
    assert.ok(new Set(samples).size > 100, "jittered delays differ");
    assert.equal(retryDelaySeconds(10, 1), 10);
  });

  it("a task that never resolves ends TimedOut after timeoutSeconds and its signal fires", async () => {
    let aborted = false;
    const hang = task({ timeoutSeconds: 0.1 }, async () => {
      runtime.taskRun.signal!.addEventListener("abort", () => (aborted = true));
      await new Promise(() => undefined);
    });
    const started = Date.now();
    await assert.rejects(flow(async () => hang())(), (err) => err instanceof TimeoutError);
    assert.ok(Date.now() - started < 2000);
    const id = engine.taskRuns()[0].id;
    assert.equal(engine.finalState(id)?.name, "TimedOut");
    assert.equal(engine.finalState(id)?.type, "Failed");
    assert.equal(aborted, true);
  });

  it("a flow with timeoutSeconds ends TimedOut", async () => {
    const f = flow({ timeoutSeconds: 0.05 }, async () => {
      await sleep(5000);
    });
    const outcome = await runFlowWithParameters(f, {});
    assert.equal(outcome.state.name, "TimedOut");
  });

  it("cancelling a flow run fires runtime.taskRun.signal and ends the runs Cancelled", async () => {
    const controller = new AbortController();
    let signalFired = false;
    const wait = task(async () => {
      const signal = runtime.taskRun.signal!;
      signal.addEventListener("abort", () => (signalFired = true));
      controller.abort();
      await sleep(5000);
    });
    const started = Date.now();
    const outcome = await runFlowWithParameters(flow(async () => wait()), {}, { signal: controller.signal });
    assert.ok(Date.now() - started < 2000);
    assert.equal(outcome.state.type, "Cancelled");
    assert.equal(signalFired, true);
    assert.equal(engine.finalState(engine.taskRuns()[0].id)?.type, "Cancelled");
  });

  it("a flow retries as a whole with runCount counting attempts", async () => {
    const counts: number[] = [];
    const f = flow({ retries: 1 }, async () => {
      counts.push(runtime.flowRun.runCount);
      if (counts.length === 1) throw new Error("first attempt fails");
      return "ok";
    });
    assert.equal(await f(), "ok");
    assert.deepEqual(counts, [1, 2]);
  });

  it("flow runs and task runs tell a retry the same way: a planned retry is one warning line, the last failure its error", async () => {
    const slow = task({ name: "slow", retries: 1, timeoutSeconds: 0.05 }, () => new Promise(() => undefined));
    let attempts = 0;
    const f = flow({ name: "twice", retries: 1 }, async () => {
      if (++attempts === 1) throw new Error("boom");
      await slow();
    });
    await assert.rejects(f(), TimeoutError);
    const logsOf = (pick: (e: { flowRunId?: string; taskRunId?: string }) => boolean) =>
      engine.events.flatMap((e) => (e.e === "log" && pick(e) ? [{ level: e.level, message: e.message }] : []));
    const flowLogs = logsOf((e) => e.taskRunId === undefined);
    const taskLogs = logsOf((e) => e.taskRunId !== undefined);
    const show = (logs: Array<{ message: string }>) => logs.map((l) => l.message).join("\n");
    const warnings = (logs: Array<{ level: string; message: string }>) => logs.filter((l) => l.level === "WARNING").map((l) => l.message);
    assert.deepEqual(warnings(flowLogs), ["Attempt 1 of 2 failed (Error: boom); retrying in 0s."], show(flowLogs));
    assert.deepEqual(warnings(taskLogs), ["Attempt 1 of 2 failed (TimeoutError: Task run 'slow-0' exceeded timeout of 0.05 seconds); retrying in 0s."], show(taskLogs));
    // No trace for the planned retry; the last attempt's failure is the one error.
    assert.ok(!flowLogs.some((l) => l.message.includes("boom\n")), show(flowLogs));
    const errors = taskLogs.filter((l) => l.level === "ERROR" && l.message.startsWith("Encountered exception")).map((l) => l.message);
    assert.deepEqual(errors, ["Encountered exception during execution: TimeoutError: Task run 'slow-0' exceeded timeout of 0.05 seconds"]);
    const flowRun = engine.flowRuns()[0].id;
    assert.ok(engine.events.some((e) => e.e === "state" && e.id === flowRun && e.name === "AwaitingRetry" && e.message === "Retry 1 of 1 in 0s"));
  });
});

describe("hooks and logging", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });

  it("onCompletion and onFailure hooks get the run and its final state", async () => {
    const seen: string[] = [];
    const ok = task({ name: "ok", onCompletion: (_t, run, state) => void seen.push(`${run.name}:${state.name}`) }, async () => 1);
    const bad = task({ name: "bad", onFailure: [(_t, run, state) => void seen.push(`${run.name}:${state.name}`)] }, async () => {
      throw new Error("x");
    });
    const f = flow({ onFailure: (fl, run, state) => void seen.push(`${fl.name}/${run.flowName}:${state.type}`) }, async function hooked() {
      await ok();
      await bad();
    });
    await f().catch(() => undefined);
    assert.deepEqual(seen, ["ok-0:Completed", "bad-0:Failed", "hooked/hooked:Failed"]);
  });

  it("a hook that throws is logged and does not change the state", async () => {
    const t = task({ onCompletion: () => { throw new Error("hook broke"); } }, async () => 5);
    assert.equal(await flow(async () => t())(), 5);
    assert.ok(engine.logs().some((l) => /onCompletion hook .* failed: Error: hook broke/.test(l)));
  });

  it("getRunLogger logs to the current run and throws a clear error outside a run", async () => {
    const t = task(async () => getRunLogger().info("from the task %d", 7));
    await flow(async () => {
      getRunLogger().warning("from the flow");
      await t();
    })();
    const logs = engine.events.filter((e) => e.e === "log" && /from the/.test(e.message));
    assert.equal(logs.length, 2);
    const taskLog = logs.find((l) => l.e === "log" && l.message === "from the task 7");
    assert.ok(taskLog && taskLog.e === "log" && taskLog.taskRunId === engine.taskRuns()[0].id);
    assert.throws(() => getRunLogger(), /outside a flow run or task run/);
  });

  it("logPrints turns console.log inside the run into run logs", async () => {
    const t = task(async () => console.log("printed %s", "inside"));
    await flow({ logPrints: true }, async () => {
      await t();
    })();
    const log = engine.events.find((e) => e.e === "log" && e.message === "printed inside");
    assert.ok(log && log.e === "log" && log.level === "INFO" && log.taskRunId === engine.taskRuns()[0].id);
  });
});
