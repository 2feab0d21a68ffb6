import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { flow, task, taskInputHash } from "flowline";
import { configureEngine } from "../../src/engine/config";
import { runFlowWithParameters } from "../../src/engine/flow";
import { readResultDocument } from "../../src/engine/result-document";
import { TestEngine } from "./helpers/engine";

const REPO = path.resolve(__dirname, "..", "..");

function readResult(file: string): unknown {
  return readResultDocument(fs.readFileSync(file, "utf8"));
}

/** Every file under a folder, relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name)))
    .sort();
}

describe("persisted results and storage keys", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });

  it("the seed's example writes hello__world.json, hello__foo.json and hello__bar.json", async () => {
    const hello = task(
      { name: "hello", persistResult: true, resultStorageKey: "hello__{parameters.name}.json" },
      async ({ name = "world" }: { name?: string }) => `hello ${name}`,
    );
    const myFlow = flow({ name: "my-flow" }, async () => {
      await hello({});
      await hello({ name: "foo" });
      await hello({ name: "bar" });
    });
    await myFlow();
    assert.deepEqual(filesUnder(engine.storage()), ["hello__bar.json", "hello__foo.json", "hello__world.json"]);
    assert.equal(readResult(engine.storage("hello__foo.json")), "hello foo");
    const doc = JSON.parse(fs.readFileSync(engine.storage("hello__world.json"), "utf8"));
    assert.deepEqual(doc.serializer, { type: "json" });
    assert.equal(doc.data, "hello world");
    assert.equal(typeof doc.flowlineVersion, "string");
  });

  it("a flow declared with `{ name = \"world\" } = {}` called with no argument renders its default", async () => {
    const helloWorld = flow(
      { name: "hello-world", resultStorageKey: "hello__{parameters[name]}.json" },
      async ({ name = "world" }: { name?: string } = {}) => `hello ${name}`,
    );
    await helloWorld();
    assert.equal(readResult(engine.storage("hello__world.json")), "hello world");
  });

  it("keys take Prefect's snake_case and camelCase runtime fields, dates with formats, literal braces and folders", async () => {
    const t = task(
      { name: "report", resultStorageKey: "{flow_run.flow_name}/{flowRun.scheduledStartTime:YYYY-MM-DD}/{taskRun.taskName}-{{x}}.json" },
      async () => 1,
    );
    await flow({ name: "daily" }, async () => t())();
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(filesUnder(engine.storage()), [path.join("daily", today, "report-{x}.json")]);
  });

  it("in a task's key, flow parameters are reached through flowRun.parameters", async () => {
    const t = task({ name: "part", resultStorageKey: "{flowRun.parameters.city}-{parameters.n}.json" }, async ({ n }: { n: number }) => n);
    await flow(async ({ city: _city }: { city: string }) => t({ n: 2 }))({ city: "dublin" });
    assert.ok(fs.existsSync(engine.storage("dublin-2.json")));
  });

  it("a later success at the same key overwrites; a failure never overwrites a stored success", async () => {
    let fail = false;
    const t = task({ name: "calc", resultStorageKey: "calc__{parameters.x}.json" }, async ({ x }: { x: number }) => {
      if (fail) throw new Error("this time it fails");
      return x * 10;
    });
    const f = flow(async ({ x }: { x: number }) => t({ x }));
    await f({ x: 1 });
    assert.equal(readResult(engine.storage("calc__1.json")), 10);
    fail = true;
    await assert.rejects(f({ x: 1 }), /this time it fails/);
    assert.equal(readResult(engine.storage("calc__1.json")), 10, "the stored success is intact");
    // The failure itself is persisted, at a random key.
    const others = filesUnder(engine.storage()).filter((f) => f !== "calc__1.json");
    assert.equal(others.length, 1);
    const err = readResult(engine.storage(others[0])) as Error;
    assert.ok(err instanceof Error);
    assert.equal(err.message, "this time it fails");
  });

  for (const [label, template, params] of [
    ["a key with ..", "../escape.json", {}],
    ["an absolute key", "/tmp/flowline-escape-{parameters.n}.json", { n: 1 }],
    ["a parameter value that climbs out", "out/{parameters.name}.json", { name: "../../../escape" }],
    ["a 10,000-character key", "long/{parameters.name}.json", { name: "n".repeat(10_000) }],
  ] as const) {
    it(`${label} fails the run naming the template and writes nothing outside storage`, async () => {
      const t = task({ name: "leaky", resultStorageKey: template }, async (_p: Record<string, unknown>) => "secret");
      const before = filesUnder(engine.home);
      const outcome = await runFlowWithParameters(flow(async () => t(params)), {});
      assert.equal(outcome.state.type, "Failed");
      const taskState = engine.finalState(engine.taskRuns()[0].id);
      assert.equal(taskState?.type, "Failed");
      assert.ok(taskState?.message?.includes(template), `message names the template: ${taskState?.message}`);
      assert.deepEqual(filesUnder(engine.home).filter((f) => !f.startsWith("journal")), before.filter((f) => !f.startsWith("journal")));
      assert.equal(fs.existsSync(path.join(engine.home, "..", "escape.json")), false);
      assert.equal(fs.existsSync("/tmp/flowline-escape-1.json"), false);
    });
  }

  it("a key the file system finds too long under a deep home fails the run naming the template, not with ENAMETOOLONG", async () => {
    const deepHome = path.join(engine.home, ...Array.from({ length: 18 }, () => "d".repeat(200)));
    fs.mkdirSync(deepHome, { recursive: true });
    configureEngine({ home: deepHome, sink: engine });
    const template = "{parameters.a}/{parameters.b}/{parameters.c}/{parameters.d}.json";
    const t = task({ name: "deep", resultStorageKey: template }, async (_p: Record<string, string>) => "v");
    const part = "p".repeat(200);
    const outcome = await runFlowWithParameters(flow(async () => t({ a: part, b: part, c: part, d: part })), {});
    assert.equal(outcome.state.type, "Failed");
    const message = engine.finalState(engine.taskRuns()[0].id)?.message ?? "";
    assert.match(message, /StorageKeyError: The result storage key "\{parameters\.a\}.*" rendered to .* makes a path too long for this file system \(ENAMETOOLONG\)/);
    assert.ok(message.length < 600, message);
  });

  it("a key that names an unknown field fails the run naming the template", async () => {
    const t = task({ name: "typo", resultStorageKey: "hello__{parameters.nme}.json" }, async ({ name }: { name: string }) => name);
    await assert.rejects(flow(async () => t({ name: "x" }))(), /hello__\{parameters\.nme\}\.json/);
    assert.deepEqual(filesUnder(engine.storage()), []);
  });

  it("resultStorageKey works on flows", async () => {
    const f = flow({ name: "fl", resultStorageKey: "flows/{flow_run.flow_name}-{parameters.n}.json" }, async ({ n }: { n: number }) => ({ n, at: new Date(0) }));
    await f({ n: 3 });
    assert.deepEqual(readResult(engine.storage("flows", "fl-3.json")), { n: 3, at: new Date(0) });
  });

  it("rich values round-trip through a persisted result", async () => {
    const value = { when: new Date(5), big: 10n ** 20n, m: new Map([[1, "a"]]), s: new Set([1, 2]), bytes: new Uint8Array([1, 2, 3]), nothing: undefined };
    const t = task({ name: "rich", resultStorageKey: "rich.json", cacheResultInMemory: false }, async () => value);
    const back = await flow(async () => t.submit().result())();
    assert.deepEqual(back, value);
    assert.deepEqual(readResult(engine.storage("rich.json")), value);
  });

  it("a custom resultSerializer writes what its dumps returns", async () => {
    const serializer = { dumps: (v: unknown) => `<<${JSON.stringify(v)}>>`, loads: (s: string | Uint8Array) => JSON.parse(String(s).slice(2, -2)) };
    const t = task({ name: "custom", resultStorageKey: "custom.txt", resultSerializer: serializer }, async () => ({ a: 1 }));
    await flow(async () => t())();
    const doc = JSON.parse(fs.readFileSync(engine.storage("custom.txt"), "utf8"));
    assert.equal(doc.serializer.type, "custom");
    assert.ok(JSON.stringify(doc.data).includes("<<"));
  });
});

describe("caching", () => {
  let engine: TestEngine;
  beforeEach(() => {
    engine = new TestEngine();
  });

  it("a task with the same cache key in a later run ends Cached without running", async () => {
    let runs = 0;
    const t = task({ name: "cached", cacheKeyFn: taskInputHash }, async ({ x }: { x: number }) => {
      runs++;
      return x * 2;
    });
    const f = flow(async ({ x }: { x: number }) => t({ x }));
    assert.equal(await f({ x: 4 }), 8);
    assert.equal(await f({ x: 4 }), 8);
    assert.equal(runs, 1);
    const second = engine.taskRuns()[1];
    assert.equal(engine.finalState(second.id)?.name, "Cached");
    assert.equal(await f({ x: 5 }), 10);
    assert.equal(runs, 2, "other inputs are another key");
  });

  it("refreshCache runs the task again and stores the new result", async () => {
    let runs = 0;
    const make = (refreshCache: boolean) =>
      task({ name: "fresh", cacheKeyFn: () => "fixed-key", refreshCache }, async () => ++runs);
    assert.equal(await flow(async () => make(false)())(), 1);
    assert.equal(await flow(async () => make(true)())(), 2);
    assert.equal(await flow(async () => make(false)())(), 2);
  });

  it("an expired cache entry is not used", async () => {
    let runs = 0;
    const t = task({ name: "short", cacheKeyFn: () => "short-key", cacheExpirationSeconds: 0.05 }, async () => ++runs);
    await flow(async () => t())();
    await new Promise((r) => setTimeout(r, 80));
    await flow(async () => t())();
    assert.equal(runs, 2);
  });

  it("caching turns persistence on, and persistResult: false with a cacheKeyFn is refused", () => {
    assert.throws(() => task({ cacheKeyFn: taskInputHash, persistResult: false }, async () => 1), /remove persistResult: false/);
  });

  it("a cache hit in a second process does not execute the task", function () {
    this.timeout(30_000);
    const counter = path.join(engine.home, "counter.txt");
    const script = path.join(engine.home, "cached-flow.ts");
    fs.writeFileSync(
      script,
      `import * as fs from "node:fs";
import { flow, task, taskInputHash } from ${JSON.stringify(path.join(REPO, "src", "sdk.ts"))};
const expensive = task({ name: "expensive", cacheKeyFn: taskInputHash }, async ({ n }: { n: number }) => {
  fs.appendFileSync(${JSON.stringify(counter)}, "ran\\n");
  return n * 3;
});
flow({ name: "cached" }, async () => expensive({ n: 7 }))().then((v) => console.log("result=" + v));
`,
    );
    const run = () =>
      spawnSync(process.execPath, ["--require", "tsx/cjs", script], {
        cwd: REPO,
        env: { ...process.env, FLOWLINE_HOME: engine.home, FLOWLINE_LOGGING_LEVEL: "ERROR" },
        encoding: "utf8",
      });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.match(first.stdout, /result=21/);
    assert.match(second.stdout, /result=21/);
    assert.equal(fs.readFileSync(counter, "utf8"), "ran\n", "the task body ran once, in the first process only");
  });
});
