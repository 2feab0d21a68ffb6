import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TraceFolder } from "../../src/shared/trace-fold";
import { ensureBuilt } from "./helpers/build";

// A failed task's trace shows the user's frames once: Flowline's and Node's frames are folded into a line,
// and the flow run's report of the same error points back to it. The CLI case runs a real flow.

const ROOT = path.resolve(__dirname, "..", "..");

describe("stack traces show the user's frames, once", function () {
  this.timeout(60_000);

  it("folds Flowline's and Node's frames, and points back to a trace already printed", () => {
    const trace = [
      "Encountered exception during execution: Error: boom",
      "    at <anonymous> (/ws/t.ts:2:55)",
      "    at AsyncLocalStorage.run (node:async_hooks:346:14)",
      `    at TaskAttempts.call (${ROOT}/src/engine/task.ts:329:23)`,
      `    at bad (${ROOT}/dist/flowline.js:103:20)`,
      "    at Object.fn (/ws/t.ts:3:58)",
      "    at x (/ws/node_modules/lib/index.js:1:1)",
    ].join("\n");
    const folder = new TraceFolder([ROOT]);
    assert.equal(folder.fold(trace), ["Encountered exception during execution: Error: boom", "    at <anonymous> (/ws/t.ts:2:55)", "    at Object.fn (/ws/t.ts:3:58)", "    … 4 frames of Flowline and Node folded"].join("\n"));
    assert.equal(folder.fold(trace.replace("during execution", "in the flow run")), ["Encountered exception in the flow run: Error: boom", "    (the same trace as above)"].join("\n"));
    assert.equal(folder.fold("no trace here"), "no trace here");
  });

  it("the CLI prints a failed task's trace with the user's frames only, once", () => {
    ensureBuilt();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-trace-"));
    try {
      fs.writeFileSync(path.join(dir, "t.ts"), 'import { flow, task } from "flowline";\nconst bad = task({ name: "bad" }, async () => { throw new Error("boom"); });\nexport const f = flow({ name: "f" }, async () => { await bad(); });\n');
      const env = { ...process.env };
      delete env.FLOWLINE_HOME;
      delete env.NODE_OPTIONS;
      const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", "t.ts"], { cwd: dir, env, encoding: "utf8" });
      assert.equal(r.status, 1);
      const frames = r.stderr.split("\n").filter((l) => /^\s+at /.test(l));
      assert.ok(frames.length >= 1 && frames.every((l) => l.includes(path.join(dir, "t.ts"))), r.stderr);
      assert.equal((r.stderr.match(/t\.ts:2:\d+/g) ?? []).length, 1, "the trace is printed once");
      assert.match(r.stderr, /\(the same trace as above\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
