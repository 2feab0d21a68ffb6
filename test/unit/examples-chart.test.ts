import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureBuilt } from "./helpers/build";

// examples/chart.ts shows the two artifact kinds the other examples do not: an image (a PNG the flow
// draws into the workspace) and a link. Run as the README says, with the real CLI.

const ROOT = path.resolve(__dirname, "..", "..");

describe("examples/chart.ts: an image and a link artifact", function () {
  this.timeout(60_000);
  before(ensureBuilt);

  it("draws a PNG chart into the workspace and publishes it with a link to its source", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-chart-"));
    try {
      fs.copyFileSync(path.join(ROOT, "examples", "chart.ts"), path.join(dir, "chart.ts"));
      const env = { ...process.env };
      delete env.FLOWLINE_HOME;
      delete env.NODE_OPTIONS;
      const run = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", "chart.ts"], { cwd: dir, env, encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      const png = fs.readFileSync(path.join(dir, "cities-chart.png"));
      assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG");
      assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [360, 200]);
      const ls = spawnSync(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "artifacts", "ls", "--json"], { cwd: dir, env, encoding: "utf8" });
      const byKey = Object.fromEntries((JSON.parse(ls.stdout) as Array<{ key: string; type: string; data: unknown }>).map((a) => [a.key, a]));
      assert.equal(byKey["cities-chart"].type, "image");
      assert.equal(byKey["cities-source"].type, "link");
      assert.match(JSON.stringify(byKey["cities-source"].data), /en\.wikipedia\.org\/wiki\/List_of_largest_cities/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
