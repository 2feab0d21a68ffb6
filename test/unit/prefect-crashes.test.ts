// A crashed run keeps its cause (issue 15, item 7): an error thrown in a timer, an unhandled rejection and
// process.exit(3) are recorded in the run's state message with the user's file:line, shown by runs inspect.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";

const FIXTURE = path.join(__dirname, "..", "fixtures", "prefect", "crashes.ts");

describe("cli: a crashed run keeps its cause", function () {
  this.timeout(120_000);
  let dir: string;
  before(ensureBuilt);
  beforeEach(() => {
    dir = tempDir("crash-cause");
    fs.copyFileSync(FIXTURE, path.join(dir, "crashes.ts"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string]> = [
    ["timer", "The flow process crashed on an uncaught error at crashes.ts:7:28: Error: lost connection"],
    ["rejection", "The flow process crashed on an unhandled promise rejection at crashes.ts:12:23: TypeError: nobody awaited me"],
    ["exits", "The flow process exited with code 3: process.exit(3) was called at crashes.ts:16:41."],
  ];
  for (const [flow, message] of cases) {
    it(`${flow}: the run and its open task runs are Crashed with the cause and the user's line`, async () => {
      const run = await cli(["run", `crashes.ts:${flow}`, "--json"], dir);
      assert.equal(run.code, 1, show(run));
      const out = JSON.parse(run.stdout) as { flowRun: { id: string; state: string; stateMessage: string }; taskRuns: Array<{ state: string; stateMessage: string }> };
      assert.equal(out.flowRun.state, "Crashed");
      assert.equal(out.flowRun.stateMessage, message);
      for (const t of out.taskRuns) assert.deepEqual([t.state, t.stateMessage], ["Crashed", message]);
      const inspect = await cli(["runs", "inspect", out.flowRun.id], dir);
      assert.equal(inspect.code, 0, show(inspect));
      assert.ok(inspect.stdout.includes(`State      Crashed — ${message}`), inspect.stdout);
    });
  }
});
