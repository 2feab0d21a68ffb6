import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureBuilt, running, sleep, startCli, waitFor } from "../faults/helpers";
import { openPgStore } from "../../src/team/pg-store";
import { freshDatabase } from "./cluster";
import { machine, TEAM_FIXTURES, type Machine, type Worker } from "./team-helpers";

// Distributed task runs: a flow with taskRunner "distributed" on one machine, `flowline worker` processes
// on others, pg-boss on the same PostgreSQL in between.

interface WorkResult {
  n: number;
  double: number;
  pid: number;
  runCount: number;
  flow: string;
}
interface FanoutJson {
  flowRun: { id: string; name: string; state: string; stateMessage?: string };
  taskRuns: Array<{ name: string; taskName: string; state: string; stateName: string; runCount: number }>;
  result: { results: WorkResult[]; squares: Array<{ sq: number; pid: number }>; sameDate: boolean };
}

const stop = (w: Worker) => {
  if (running(w.proc.pid!)) w.proc.kill("SIGKILL");
};

describe("team mode: distributed task runs on workers", function () {
  this.timeout(150_000);
  let url: string;
  let flowMachine: Machine;
  const workers: Worker[] = [];

  before(async () => {
    ensureBuilt();
    url = await freshDatabase();
    // A short lease, so a killed worker's task run goes to another within seconds.
    flowMachine = machine("flow", url, ["fanout.ts"], { FLOWLINE_TASK_LEASE_SECONDS: "3" });
  });
  afterEach(() => {
    workers.splice(0).forEach(stop);
  });

  it("three workers serve a flow of 40 task runs; one killed with kill -9 mid-task loses nothing", async () => {
    const env = { SLOW_MS: "300", FAIL_ONCE_N: "7" };
    for (const name of ["w1", "w2", "w3"]) workers.push(await machine(name, url, ["fanout.ts"]).worker("fanout.ts", 2, env));
    const run = startCli(["run", "fanout.ts", "--json"], flowMachine.dir, flowMachine.env, 120_000);
    const victim = workers[0];
    // Killed while it holds a task run it has not finished.
    const holding = () => {
      const taken = [...victim.log().matchAll(/task run (work-\d+) of flow run \S+: taken/g)].map((m) => m[1]);
      return taken.some((t) => !new RegExp(`task run ${t} of flow run \\S+: (Completed|Failed)`).test(victim.log()));
    };
    await waitFor(holding, 60_000, "the first worker to hold a task run");
    victim.proc.kill("SIGKILL");
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as FanoutJson;
    assert.equal(out.flowRun.state, "Completed");
    assert.deepEqual(out.result.results.map((x) => x.double), Array.from({ length: 40 }, (_, i) => i * 2));
    assert.ok(out.result.results.every((x) => x.flow === out.flowRun.name), "runtime.flowRun in a worker is the flow's run");
    assert.equal(out.result.sameDate, true, "values cross in the result serializer (a Date stays a Date)");
    // The task runs the victim held were run again elsewhere, and counted as a new attempt.
    const retaken = out.result.results.filter((x) => x.runCount >= 2 && x.n !== 7);
    assert.ok(retaken.length > 0, `no task run was taken over: ${JSON.stringify(out.result.results.map((x) => [x.n, x.pid, x.runCount]))}`);
    assert.ok(retaken.every((x) => x.pid !== victim.proc.pid));
    // Retries happen in the worker: n = 7 fails its first try and completes on its second.
    assert.ok(out.result.results[7].runCount >= 2);
    // Caching across processes: the second cached-square call is a hit on what the first stored.
    assert.deepEqual(out.taskRuns.filter((t) => t.taskName === "cached-square").map((t) => t.stateName), ["Completed", "Cached"]);
    assert.equal(out.taskRuns.filter((t) => t.taskName === "work" && t.state === "Completed").length, 40);
    // More than one worker took part, and artifacts made in workers are stored with their task runs.
    assert.ok(new Set(out.result.results.map((x) => x.pid)).size >= 2);
    const arts = await flowMachine.json<Array<{ key?: string; taskRunId?: string; flowRunId?: string }>>(["artifacts", "ls", "--flow-run", out.flowRun.id]);
    assert.deepEqual(arts.map((a) => a.key).sort(), ["work-0", "work-10", "work-20", "work-30"]);
    assert.ok(arts.every((a) => a.taskRunId !== undefined && a.flowRunId === out.flowRun.id));
  });

  it("a worker that cannot load the flow file fails the task runs it takes with a clear error, and the flow ends", async () => {
    const broken = machine("broken", url, []);
    fs.copyFileSync(path.join(TEAM_FIXTURES, "broken", "fanout.ts"), path.join(broken.dir, "fanout.ts"));
    workers.push(await broken.worker("fanout.ts", 1));
    const r = await flowMachine.run(["run", "fanout.ts", "--param", "count=2", "--json"], 60_000);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as FanoutJson;
    assert.equal(out.flowRun.state, "Failed");
    const inspect = await flowMachine.json<{ taskRuns: Array<{ state: string; stateMessage?: string }> }>(["runs", "inspect", out.flowRun.id]);
    // The worker fails what it takes; what was still queued when the flow failed is stopped with it.
    const failed = inspect.taskRuns.filter((t) => t.state === "Failed");
    assert.ok(failed.length >= 1);
    for (const t of failed) assert.match(t.stateMessage ?? "", /could not load the flow file .*fanout\.ts: .*broken on purpose/);
    assert.ok(inspect.taskRuns.every((t) => t.state === "Failed" || t.state === "Cancelled"), JSON.stringify(inspect.taskRuns));
  });

  it("cancelling the flow cancels its queued and running task runs on every worker", async () => {
    const env = { HANG_N: "0", SLOW_MS: "60000" };
    for (const name of ["c1", "c2"]) workers.push(await machine(name, url, ["fanout.ts"]).worker("fanout.ts", 1, env));
    const run = startCli(["run", "fanout.ts", "--param", "count=6", "--json"], flowMachine.dir, flowMachine.env, 120_000);
    const store = openPgStore(flowMachine.env.FLOWLINE_HOME, url);
    const running2 = async () => {
      const runs = await (await store).listFlowRuns();
      const id = runs[0]?.id;
      if (!id) return 0;
      return (await (await store).listTaskRuns(id, { state: "Running" })).length;
    };
    // Two task runs held by the two workers (one slot each), the other four still queued.
    for (let i = 0; (await running2()) < 2; i++) {
      if (i > 600) throw new Error("the workers never ran two task runs");
      await sleep(100);
    }
    run.proc.kill("SIGINT");
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    const id = (await (await store).listFlowRuns())[0].id;
    const detail = await (await store).getFlowRun(id);
    assert.equal(detail.flowRun.state.type, "Cancelled");
    assert.deepEqual([...new Set(detail.taskRuns.map((t) => t.state.type))], ["Cancelled"]);
    // The workers stopped the task runs they held (the tasks saw their signal) and serve on.
    await waitFor(() => workers.every((w) => /: Cancelled/.test(w.log())), 20_000, "both workers to stop their task runs");
    assert.ok(workers.every((w) => running(w.proc.pid!)));
  });

  it("without a team database, a distributed flow and a worker are refused with a clear message; so is a bad --concurrency", async () => {
    const local = machine("local", "", ["fanout.ts"]);
    const r = await local.run(["run", "fanout.ts"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /taskRunner "distributed", which needs team mode: set FLOWLINE_DATABASE_URL/);
    const w = await local.run(["worker", "fanout.ts"]);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /^flowline: flowline worker needs team mode: set FLOWLINE_DATABASE_URL/);
    const bad = await flowMachine.run(["worker", "fanout.ts", "--concurrency", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency must be a whole number from 1 to 256, not "0"/);
  });
});
