import * as assert from "node:assert/strict";
import { teamPool } from "../../src/team/pg-pool";
import { openPgStore } from "../../src/team/pg-store";
import { freshDatabase } from "./cluster";

// flowline_apply, the one place team mode turns events into rows, keeps the local store's rules for a
// run's state (records.ts): a terminal state is final, later reports go only to the history; the start
// time is the first Running; the end time is the terminal state's; the run count is the last one reported.

describe("team mode: events applied as the local store applies them", function () {
  this.timeout(60_000);

  it("a terminal state is final within a batch and across batches; start, end and run count follow the first attempt", async () => {
    const url = await freshDatabase();
    const pool = await teamPool(url);
    const apply = (events: unknown[]) => pool.query("SELECT flowline_apply($1::json)", [JSON.stringify(events)]);
    const t = (s: number) => `2026-12-01T10:00:0${s}.000Z`;
    await apply([
      { e: "flow_run", id: "f1", name: "run", flowName: "flow", parameters: { b: 1, a: [2] }, tags: ["x"], created: t(0), expectedStartTime: t(0), pid: 1 },
      { e: "state", kind: "flow", id: "f1", type: "Running", name: "Running", ts: t(1), runCount: 1 },
      { e: "task_run", id: "t1", flowRunId: "f1", name: "t-0", taskName: "t", parameters: { n: 1 }, tags: [], created: t(1) },
      { e: "state", kind: "task", id: "t1", type: "Running", name: "Running", ts: t(2), runCount: 1 },
      { e: "state", kind: "task", id: "t1", type: "Pending", name: "AwaitingRetry", ts: t(3), runCount: 1 },
      { e: "state", kind: "task", id: "t1", type: "Running", name: "Retrying", ts: t(4), runCount: 2 },
      { e: "state", kind: "task", id: "t1", type: "Completed", name: "Completed", ts: t(5), resultKey: "k1" },
      { e: "state", kind: "task", id: "t1", type: "Crashed", name: "Crashed", ts: t(6), message: "too late" },
    ]);
    await apply([
      { e: "state", kind: "task", id: "t1", type: "Running", name: "Running", ts: t(7), runCount: 9 },
      { e: "state", kind: "flow", id: "f1", type: "Completed", name: "Completed", ts: t(8), result: { z: 1, a: 2 } },
    ]);
    const store = await openPgStore("/nowhere", url);
    const [task] = await store.listTaskRuns("f1");
    assert.deepEqual(
      { state: task.state, runCount: task.runCount, start: task.startTime, end: task.endTime, key: task.resultKey },
      { state: { type: "Completed", name: "Completed", message: undefined }, runCount: 2, start: t(2), end: t(5), key: "k1" },
    );
    assert.deepEqual((await store.getStateHistory("t1")).map((s) => s.name), ["Running", "AwaitingRetry", "Retrying", "Completed", "Crashed", "Running"]);
    const { flowRun } = await store.getFlowRun("f1");
    assert.equal(flowRun.state.type, "Completed");
    assert.equal(flowRun.startTime, t(1));
    assert.equal(flowRun.endTime, t(8));
    assert.deepEqual(flowRun.taskRunCounts, { total: 1, byState: { Completed: 1 } });
    // JSON comes back as it was written, keys in their order.
    assert.equal(JSON.stringify(flowRun.parameters), '{"b":1,"a":[2]}');
    assert.equal(JSON.stringify(flowRun.result), '{"z":1,"a":2}');
  });
});
