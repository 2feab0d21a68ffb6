import { strict as assert } from "node:assert";
import { flow, task, runtime } from "flowline";
import { TestEngine } from "./helpers/engine";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runtime context", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith("FLOWLINE__RUNTIME__")) delete process.env[k];
  });

  it("two tasks running at once each see their own taskRun", async () => {
    const seen: Array<[string, string | undefined, unknown]> = [];
    const t = task(async ({ label, wait }: { label: string; wait: number }) => {
      const before = runtime.taskRun.name;
      await sleep(wait);
      seen.push([label, runtime.taskRun.name, runtime.taskRun.parameters.label]);
      assert.equal(runtime.taskRun.name, before);
    });
    await flow(async () => {
      await Promise.all([t({ label: "a", wait: 30 }), t({ label: "b", wait: 5 }), t({ label: "c", wait: 15 })]);
    })();
    const byLabel = new Map(seen.map(([label, name, p]) => [label, [name, p]]));
    const runs = engine.taskRuns();
    assert.deepEqual(byLabel.get("a"), [runs[0].name, "a"]);
    assert.deepEqual(byLabel.get("b"), [runs[1].name, "b"]);
    assert.deepEqual(byLabel.get("c"), [runs[2].name, "c"]);
  });

  it("inside a task, flowRun is the flow run that owns the task", async () => {
    let inside: Record<string, unknown> = {};
    const t = task({ name: "t", tags: ["etl"] }, async (n: number) => {
      inside = {
        flowRunId: runtime.flowRun.id,
        flowName: runtime.flowRun.flowName,
        flowParams: runtime.flowRun.parameters,
        taskName: runtime.taskRun.taskName,
        taskId: runtime.taskRun.id,
        tags: runtime.taskRun.tags,
        runCount: runtime.taskRun.runCount,
        n,
      };
    });
    await flow({ name: "owner" }, async ({ x }: { x: number }) => t(x))({ x: 5 });
    assert.equal(inside.flowRunId, engine.flowRuns()[0].id);
    assert.equal(inside.flowName, "owner");
    assert.deepEqual(inside.flowParams, { x: 5 });
    assert.equal(inside.taskName, "t");
    assert.equal(inside.taskId, engine.taskRuns()[0].id);
    assert.deepEqual(inside.tags, ["etl"]);
    assert.equal(inside.runCount, 1);
  });

  it("inside a flow but outside a task, taskRun is empty", async () => {
    let id: unknown = "x";
    await flow(async () => {
      id = runtime.taskRun.id;
    })();
    assert.equal(id, undefined);
  });

  it("outside any run every field is empty and scheduledStartTime is now", () => {
    assert.equal(runtime.flowRun.id, undefined);
    assert.equal(runtime.flowRun.name, undefined);
    assert.equal(runtime.flowRun.flowName, undefined);
    assert.deepEqual(runtime.flowRun.parameters, {});
    assert.deepEqual(runtime.flowRun.tags, []);
    assert.equal(runtime.flowRun.runCount, 0);
    assert.equal(runtime.flowRun.parentFlowRunId, undefined);
    assert.ok(Math.abs(runtime.flowRun.scheduledStartTime.getTime() - Date.now()) < 1000);
    assert.equal(runtime.taskRun.id, undefined);
    assert.equal(runtime.taskRun.taskName, undefined);
    assert.deepEqual(runtime.taskRun.parameters, {});
    assert.deepEqual(runtime.taskRun.tags, []);
    assert.equal(runtime.taskRun.runCount, 0);
    assert.equal(runtime.taskRun.signal, undefined);
  });

  it("a subflow's flowRun has the parent's id as parentFlowRunId", async () => {
    let parentSeen: string | undefined;
    const child = flow({ name: "child" }, async () => {
      parentSeen = runtime.flowRun.parentFlowRunId;
    });
    await flow(async () => child())();
    assert.equal(parentSeen, engine.flowRuns()[0].id);
  });

  it("FLOWLINE__RUNTIME__ variables override fields, cast to the field's type", async () => {
    process.env.FLOWLINE__RUNTIME__FLOW_RUN__FLOW_NAME = "overridden";
    process.env.FLOWLINE__RUNTIME__TASK_RUN__RUN_COUNT = "7";
    process.env.FLOWLINE__RUNTIME__FLOW_RUN__SCHEDULED_START_TIME = "2024-01-31T09:00:00Z";
    assert.equal(runtime.flowRun.flowName, "overridden");
    assert.equal(runtime.taskRun.runCount, 7);
    assert.ok(runtime.flowRun.scheduledStartTime instanceof Date);
    assert.equal(runtime.flowRun.scheduledStartTime.toISOString(), "2024-01-31T09:00:00.000Z");
    let inside: unknown;
    await flow({ name: "real" }, async () => {
      inside = runtime.flowRun.flowName;
    })();
    assert.equal(inside, "overridden");
  });

  it("list and object fields cannot be overridden and say so", () => {
    process.env.FLOWLINE__RUNTIME__FLOW_RUN__TAGS = "a,b";
    assert.throws(() => runtime.flowRun.tags, /FLOWLINE__RUNTIME__FLOW_RUN__TAGS cannot override a list field/);
    delete process.env.FLOWLINE__RUNTIME__FLOW_RUN__TAGS;
    process.env.FLOWLINE__RUNTIME__FLOW_RUN__PARAMETERS = "{}";
    assert.throws(() => runtime.flowRun.parameters, /FLOWLINE__RUNTIME__FLOW_RUN__PARAMETERS cannot override an object field of the runtime context/);
    process.env.FLOWLINE__RUNTIME__TASK_RUN__RUN_COUNT = "many";
    assert.throws(() => runtime.taskRun.runCount, /is not a number/);
  });
});
