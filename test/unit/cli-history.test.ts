import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, show, tempDir } from "../faults/helpers";
import { ensureBuilt } from "./helpers/build";

// The CLI over a run of thousands of task runs and over a Flowline 1.0 home: `runs inspect` summarizes a
// run's task runs by state and pages them; --json streams all of them; prune --all and --older-than 0
// delete every run that ended; a 1.0 home is converted on the first command, saying so.

const FIXTURES = path.resolve(__dirname, "..", "fixtures");

describe("cli: a big run and a long history", function () {
  this.timeout(180_000);
  let dir = "";
  let runId = "";
  before(async () => {
    ensureBuilt();
    dir = tempDir("history");
    fs.copyFileSync(path.join(FIXTURES, "history", "many-tasks.ts"), path.join(dir, "many-tasks.ts"));
    const res = await cli(["run", "many-tasks.ts", "--json"], dir, {}, 120_000);
    assert.equal(res.code, 0, show(res));
    const out = JSON.parse(res.stdout) as { flowRun: { id: string }; taskRuns: Array<{ name: string; state: string }>; result: number };
    runId = out.flowRun.id;
    assert.equal(out.result, 5);
    assert.equal(out.taskRuns.length, 2500, "--json lists every task run");
    assert.deepEqual(out.taskRuns.slice(498, 501).map((t) => [t.name, t.state]), [["work-498", "Completed"], ["work-499", "Failed"], ["work-500", "Completed"]]);
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("runs inspect summarizes the task runs by state and shows one page, saying how to get the next", async () => {
    const res = await cli(["runs", "inspect", runId.slice(0, 8)], dir);
    assert.equal(res.code, 0, show(res));
    assert.match(res.stdout, /^Task runs  2,500: 2,495 Completed, 5 Failed$/m);
    const rows = res.stdout.split("\n").filter((l) => /^work-\d+ /.test(l));
    assert.deepEqual(rows.map((l) => l.split(/\s+/)[0]), Array.from({ length: 20 }, (_, i) => `work-${i}`));
    assert.match(res.stdout, /\(1–20 of 2,500; more with --offset 20 --limit 20\)/);
    assert.match(res.stdout, /^Artifacts \(1\)$/m);
    assert.match(res.stdout, /many-report\s+markdown/);

    const page = await cli(["runs", "inspect", runId, "--offset", "1998", "--limit", "3"], dir);
    assert.deepEqual(page.stdout.split("\n").filter((l) => /^work-\d+ /.test(l)).map((l) => l.split(/\s+/)[0]), ["work-1998", "work-1999", "work-2000"]);
    const failed = await cli(["runs", "inspect", runId, "--state", "Failed"], dir);
    assert.deepEqual(failed.stdout.split("\n").filter((l) => /^work-\d+ /.test(l)).map((l) => l.split(/\s+/)[0]), ["work-499", "work-999", "work-1499", "work-1999", "work-2499"]);
    const bad = await cli(["runs", "inspect", runId, "--state", "Done"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--state must be one of Pending, Running, Completed, Failed, Crashed, Cancelled, not 'Done'/);
  });

  it("runs inspect --json streams every task run, or a page of them", async () => {
    const all = await cli(["runs", "inspect", runId, "--json"], dir);
    const parsed = JSON.parse(all.stdout) as { taskRuns: Array<{ name: string }>; flowRun: { taskRunCounts: { total: number } }; artifacts: Array<{ key: string }> };
    assert.equal(parsed.taskRuns.length, 2500);
    assert.equal(parsed.flowRun.taskRunCounts.total, 2500);
    assert.deepEqual(parsed.artifacts.map((a) => a.key), ["many-report"]);
    const page = JSON.parse((await cli(["runs", "inspect", runId, "--json", "--offset", "10", "--limit", "2"], dir)).stdout) as { taskRuns: Array<{ name: string }> };
    assert.deepEqual(page.taskRuns.map((t) => t.name), ["work-10", "work-11"]);
  });

  it("prune --older-than 0 and prune --all delete every run that ended", async () => {
    const dry = JSON.parse((await cli(["prune", "--older-than", "0", "--dry-run", "--json"], dir)).stdout) as { flowRuns: number; taskRuns: number };
    assert.deepEqual([dry.flowRuns, dry.taskRuns], [1, 2500]);
    const res = await cli(["prune", "--all"], dir);
    assert.equal(res.code, 0, show(res));
    assert.match(res.stdout, /^Deleted 1 flow run \(with 2500 task runs/);
    assert.deepEqual(JSON.parse((await cli(["runs", "ls", "--json"], dir)).stdout), []);
    const both = await cli(["prune", "--all", "--older-than", "3"], dir);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /prune takes --older-than <days> or --all, not both/);
  });

  it("a Flowline 1.0 home is converted by the first command, which says so; its runs and artifacts are all there", async () => {
    const home = path.join(tempDir("home-1.0"), ".flowline");
    fs.mkdirSync(home, { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, "home-1.0", "flowline.db"), path.join(home, "flowline.db"));
    const res = await cli(["runs", "ls", "--json"], path.dirname(home));
    assert.equal(res.code, 0, show(res));
    assert.match(res.stderr, /Converting this Flowline home to the 1\.1 storage layout \(4 flow runs, 10 artifacts\); this happens once\./);
    assert.match(res.stderr, /kept as .*flowline\.db\.1\.0-backup/);
    assert.equal((JSON.parse(res.stdout) as unknown[]).length, 4);
    const again = await cli(["artifacts", "ls", "--json"], path.dirname(home));
    assert.equal(again.stderr, "", "converted once");
    assert.deepEqual((JSON.parse(again.stdout) as Array<{ key: string }>).map((a) => a.key), ["child-report", "load", "cities"]);
  });
});
