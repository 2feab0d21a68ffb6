import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, REPO, tempDir } from "../faults/helpers";
import { TEAM_FIXTURES } from "./team-helpers";

// The local default pays nothing for team mode: without FLOWLINE_DATABASE_URL neither the CLI nor the
// flow's process loads the PostgreSQL driver, the queue, or team mode's code.

describe("team mode stays out of the default path", function () {
  this.timeout(60_000);
  before(ensureBuilt);

  it("a local flowline run, its flow process and runs ls load no team module", async () => {
    const dir = tempDir("team-default");
    fs.copyFileSync(path.join(REPO, "test", "fixtures", "hello.ts"), path.join(dir, "hello.ts"));
    const list = path.join(dir, "loaded.txt");
    const env = { NODE_OPTIONS: `--require ${path.join(TEAM_FIXTURES, "loaded-modules.cjs")}`, LOADED_MODULES_FILE: list, FLOWLINE_DATABASE_URL: "" };
    const run = await cli(["run", "hello.ts"], dir, env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await cli(["runs", "ls"], dir, env)).code, 0);
    const loaded = fs.readFileSync(list, "utf8").split("\n").filter(Boolean);
    assert.ok(loaded.some((f) => f.endsWith(path.join("dist", "cli.js"))), "the CLI was watched");
    assert.ok(loaded.some((f) => f.endsWith(path.join("dist", "flowline.js"))), "the flow's process was watched");
    assert.deepEqual(loaded.filter((f) => /team-drivers|node_modules[\\/](pg|pg-boss|pg-pool|pg-protocol)[\\/]/.test(f)), []);
  });
});
