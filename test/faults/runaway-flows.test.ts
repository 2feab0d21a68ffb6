import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, readLines, running, show, sleep, startCli, summary, waitFor, workspace } from "./helpers";

// Flows that misbehave: one blocks its event loop forever after starting children that keep running
// (Ctrl-C must still end the whole process tree within the grace period, and the CLI must keep answering
// meanwhile), one floods its log (capped, with a note).

describe("faults: runaway flows", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  let faults = 0;
  before(ensureBuilt);
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    summary("runaway-flows", { trials: faults, faultsInjected: faults, processesLeft: 0 });
  });

  it("Ctrl-C ends a flow stuck in while(true) and the children it started, within the grace period; the CLI keeps answering", async () => {
    const dir = workspace("spin", "spin-fork.ts");
    dirs.push(dir);
    const run = startCli(["run", "spin-fork.ts"], dir);
    await waitFor(() => readLines(path.join(dir, "pids.txt")).length === 3, 30_000, "the flow and its children");
    const pids = readLines(path.join(dir, "pids.txt")).map(Number);
    faults++;
    await sleep(200);
    // Another command meanwhile answers promptly (the stuck flow holds no lock).
    const ls = await cli(["runs", "ls", "--json"], dir);
    assert.equal(ls.code, 0, show(ls));
    assert.ok(ls.ms < 10_000, `runs ls took ${ls.ms} ms`);
    const t = Date.now();
    run.proc.kill("SIGINT");
    const res = await run.done;
    const took = Date.now() - t;
    assert.equal(res.code, 130, show(res));
    assert.ok(took < 5_000 + 3_000, `cancel took ${took} ms (grace 5 s)`);
    await waitFor(() => pids.every((p) => !running(p)), 3_000, "every process of the tree to end");
    const after = await cli(["runs", "ls", "--json"], dir);
    const runs = JSON.parse(after.stdout) as Array<{ state: string }>;
    // The flow blocked in the same tick as its start; its run was on disk before user code ran.
    assert.equal(runs.length, 1, after.stdout);
    assert.equal(runs[0].state, "Cancelled", after.stdout);
  });

  it("a log flood is capped at FLOWLINE_MAX_LOG_LINES with one note; a 100 KB line is cut with a note", async () => {
    const dir = workspace("flood", "flood.ts");
    dirs.push(dir);
    faults++;
    const res = await cli(["run", "flood.ts", "--json"], dir, { FLOWLINE_MAX_LOG_LINES: "2000" });
    assert.equal(res.code, 0, show(res));
    assert.equal(JSON.parse(res.stdout).result, "done");
    const home = path.join(dir, ".flowline");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openStore } = require("../../src/store") as typeof import("../../src/store");
    const store = await openStore(home, { sync: true });
    const [run] = await store.listFlowRuns();
    const messages = (await store.getLogs({ flowRunId: run.id })).map((l) => l.message);
    store.close();
    // Beginning + the long line + lines up to 2,000 in all, then one note; "Finished" is dropped too.
    assert.equal(messages.length, 2001, `${messages.length} lines`);
    assert.match(messages[messages.length - 1], /Log lines after 2000 were dropped/);
    const long = messages.find((m) => m.startsWith("xxxx"));
    assert.ok(long && long.length < 66 * 1024 && /truncated: 100000 characters/.test(long));
  });
});
