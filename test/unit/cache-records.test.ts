// A cache hit is the result of its own cache key: the result file carries the key it was stored for and a
// digest of its data, and anything else at the storage key is a miss with a warning naming that key. With
// real CLI processes (bin/flowline.js), including eight at once, and the engine in this process.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { flow, task, taskInputHash } from "flowline";
import type { LogEvent } from "../../src/shared/events";
import { cli, ensureBuilt, show, tempDir, type Result } from "../faults/helpers";
import { TestEngine } from "./helpers/engine";

const FIXTURE = path.join(__dirname, "..", "fixtures", "shared-key.ts");

interface RunJson {
  result: unknown;
  taskRuns: Array<{ stateName: string }>;
}

describe("cache: a hit is the result of its own cache key", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  before(ensureBuilt);
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function workspace(): string {
    const dir = tempDir("cache");
    dirs.push(dir);
    fs.copyFileSync(FIXTURE, path.join(dir, "shared-key.ts"));
    return dir;
  }

  async function run(dir: string, target: string, ...params: string[]): Promise<{ res: Result; json: RunJson }> {
    const res = await cli(["run", `shared-key.ts:${target}`, ...params.flatMap((p) => ["--param", p]), "--json"], dir);
    assert.equal(res.code, 0, show(res));
    return { res, json: JSON.parse(res.stdout) as RunJson };
  }

  it("in one process: double(1), double(2), double(1) sharing one storage key give 2, 4, 2, with one warning naming the key", async () => {
    const engine = new TestEngine();
    let runs = 0;
    const double = task({ name: "double", cacheKeyFn: taskInputHash, resultStorageKey: "double.json" }, async ({ x }: { x: number }) => {
      runs++;
      return x * 2;
    });
    const values = await flow(async () => [await double({ x: 1 }), await double({ x: 2 }), await double({ x: 1 }), await double({ x: 1 })])();
    assert.deepEqual(values, [2, 4, 2, 2]);
    assert.equal(runs, 3, "the third call ran again; the fourth was a hit on the third's result");
    assert.deepEqual(engine.taskRuns().map((t) => engine.finalState(t.id)?.name), ["Completed", "Completed", "Completed", "Cached"]);
    const warnings = engine.events.filter((e): e is LogEvent => e.e === "log" && e.level === "WARNING").map((e) => e.message);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /storage key "double\.json" holds the result of another cache key: two inputs share this storage key/);
  });

  it("in separate CLI runs: x=1, then x=2, then x=1 again gives 2, 4, 2", async () => {
    const dir = workspace();
    assert.equal((await run(dir, "doubleOnce", "x=1")).json.result, 2);
    assert.equal((await run(dir, "doubleOnce", "x=2")).json.result, 4);
    const third = await run(dir, "doubleOnce", "x=1");
    assert.equal(third.json.result, 2);
    assert.equal(third.json.taskRuns[0].stateName, "Completed", "not served from the cache");
    assert.match(third.res.stderr, /WARNING .*storage key "double\.json" holds the result of another cache key/);
    const fourth = await run(dir, "doubleOnce", "x=1");
    assert.equal(fourth.json.result, 2);
    assert.equal(fourth.json.taskRuns[0].stateName, "Cached", "the file holds x=1's result again: a hit");
  });

  it("eight CLI runs at once, 25 calls each over three inputs sharing one storage key: no wrong value", async () => {
    const dir = workspace();
    const results = await Promise.all(Array.from({ length: 8 }, (_, seed) => run(dir, "doubles", `seed=${seed}`)));
    for (const { json } of results) assert.deepEqual(json.result, { calls: 25, wrong: 0 });
    assert.ok(results.some(({ res }) => /storage key "double\.json" holds the result of another cache key/.test(res.stderr)));
  });

  it("a result file replaced by another record, by other JSON, or with its data edited is not served as Cached", async () => {
    const dir = workspace();
    const file = path.join(dir, ".flowline", "storage", "double.json");
    assert.equal((await run(dir, "doubleOnce", "x=1")).json.result, 2);
    const stored = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    assert.equal(typeof stored.cacheKey, "string");
    assert.match(String(stored.digest), /^sha256:[0-9a-f]{64}$/);

    const replacements: Array<[string, string, RegExp]> = [
      ["another record", JSON.stringify({ serializer: { type: "json" }, data: 666, flowlineVersion: "1.0.0" }), /was not stored for a cache key/],
      ["edited data", JSON.stringify({ ...stored, data: 666 }), /does not match its digest/],
      ["other JSON", JSON.stringify({ data: 666 }), /is not a Flowline result/],
    ];
    for (const [what, text, warning] of replacements) {
      fs.writeFileSync(file, text);
      const { res, json } = await run(dir, "doubleOnce", "x=1");
      assert.equal(json.result, 2, what);
      assert.equal(json.taskRuns[0].stateName, "Completed", what);
      assert.match(res.stderr, new RegExp(`WARNING .*storage key "double\\.json".*${warning.source}`), what);
    }
    const last = await run(dir, "doubleOnce", "x=1");
    assert.equal(last.json.taskRuns[0].stateName, "Cached");
    assert.equal(last.json.result, 2);
  });
});
