// Stack traces of failed tasks (issue 15, item 11): the user's frames first, printed once, not again when
// the flow re-raises the task's error. The real CLI and flow process.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";

describe("cli: a failed task's stack", function () {
  this.timeout(120_000);
  let dir: string;
  before(ensureBuilt);
  beforeEach(() => {
    dir = tempDir("stacks");
    fs.writeFileSync(
      path.join(dir, "etl.ts"),
      `import { flow, task } from "flowline";

const parse = task({ name: "parse" }, async (text: string) => {
  return JSON.parse(text) as unknown;
});

export const etl = flow({ name: "etl" }, async () => {
  await parse("{not json");
});
`,
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("shows the user's frames first and prints the stack once, for the task, not again for the flow", async () => {
    const res = await cli(["run", "etl.ts"], dir);
    assert.equal(res.code, 1, show(res));
    const lines = res.stderr.split("\n");
    const header = lines.findIndex((l) => l.includes("Task run 'parse-0' - Encountered exception during execution: SyntaxError"));
    assert.ok(header >= 0, res.stderr);
    const file = path.join(dir, "etl.ts");
    assert.deepEqual(lines.slice(header + 1, header + 3).map((l) => l.trim().replace(/^at \S+ /, "at ")), [`at (${file}:4:15)`, `at (${file}:8:9)`]);
    assert.match(lines[header + 3], /^ {4}… \d+ frames in Flowline and Node\.js$/);
    assert.equal(lines.filter((l) => l.includes(`${file}:4:15`)).length, 1, "the stack is printed once");
    assert.ok(lines.some((l) => /Flow run '.*' - Encountered exception during execution: SyntaxError: .* \(its stack is logged above\)$/.test(l)), res.stderr);
  });
});
