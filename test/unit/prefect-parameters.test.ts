// Parameters checked against a flow's TypeScript signature before a run exists, as Prefect checks them
// against type hints: the real CLI, real flow processes, the real TypeScript compiler on the flow file.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";

const FIXTURE = path.join(__dirname, "..", "fixtures", "prefect", "parameters.ts");

describe("cli: parameters are checked against the flow's TypeScript signature", function () {
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string>;
  before(ensureBuilt);
  beforeEach(() => {
    dir = tempDir("typed-params");
    fs.copyFileSync(FIXTURE, path.join(dir, "parameters.ts"));
    env = { FLOWLINE_CACHE_DIR: path.join(dir, "cache") };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runsRecorded = async (): Promise<number> => {
    const res = await cli(["runs", "ls", "--json"], dir, env);
    assert.equal(res.code, 0, show(res));
    return (JSON.parse(res.stdout) as unknown[]).length;
  };

  it("refuses a missing parameter or a value of the wrong type with exit 2 and one line naming it, and records no run", async () => {
    const refused: Array<[string[], string]> = [
      [["parameters.ts:greet", "--param", "count=3"], "flow 'greet': parameter 'name' (string) is required and was not given."],
      [["parameters.ts:positional"], "flow 'positional': parameter 'name' (string) is required and was not given."],
      [["parameters.ts:greet", "--param", "name=ann", "--param", "count=abc"], `flow 'greet': parameter 'count' (number): got "abc", which is not a number.`],
      [["parameters.ts:greet", "--param", "name=ann", "--param", "tags=urgent"], `flow 'greet': parameter 'tags' (string[]): got "urgent", which is not a list.`],
      [["parameters.ts:greet", "--params", '{"name": "ann", "level": "critical"}'], `flow 'greet': parameter 'level' (Level): got "critical", which is not one of "debug", "info", "warning".`],
    ];
    for (const [args, line] of refused) {
      const res = await cli(["run", ...args], dir, env);
      assert.equal(res.code, 2, show(res));
      assert.equal(res.stderr, `flowline: ${line}\n`, show(res));
    }
    assert.equal(await runsRecorded(), 0, "no run was recorded");
  });

  it("runs with values that fit, a number typed for a string kept as text, and a 20-digit id with all its digits", async () => {
    let res = await cli(["run", "parameters.ts:greet", "--param", "name=007", "--param", 'tags=["a","b"]', "--json"], dir, env);
    assert.equal(res.code, 0, show(res));
    let out = JSON.parse(res.stdout) as { flowRun: { parameters: Record<string, unknown> }; result: unknown };
    // `name: string` takes `007` as the text typed, not the number 7.
    assert.equal(out.result, "007 x2 at info [a,b]");
    assert.deepEqual(out.flowRun.parameters, { name: "007", tags: ["a", "b"], count: 2, level: "info" });

    res = await cli(["run", "parameters.ts:ids", "--param", "id=12345678901234567890", "--param", "big=98765432109876543210", "--json"], dir, env);
    assert.equal(res.code, 0, show(res));
    out = JSON.parse(res.stdout);
    assert.deepEqual(out.result, { id: "12345678901234567890", big: "bigint:98765432109876543210" });
  });

  it("reads the signature once per content: an edited signature is read again", async () => {
    let res = await cli(["run", "parameters.ts:greet", "--param", "name=ann", "--param", "count=abc"], dir, env);
    assert.equal(res.code, 2, show(res));
    const cached = fs.readdirSync(path.join(dir, "cache", "types"));
    assert.equal(cached.length, 1, "one cached entry for the file");
    const file = path.join(dir, "parameters.ts");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("count?: number", "count?: string | number"));
    res = await cli(["run", "parameters.ts:greet", "--param", "name=ann", "--param", "count=abc"], dir, env);
    assert.equal(res.code, 0, show(res));
  });

  it("refuses `file.ts:name` when two flows have that name, instead of running the first", async () => {
    const res = await cli(["run", "parameters.ts:twin"], dir, env);
    assert.equal(res.code, 2, show(res));
    assert.equal(res.stderr, "flowline: parameters.ts has 2 flows named 'twin' (exported as twinA, twinB); say which by its export name: parameters.ts:<export>.\n");
    assert.equal((await cli(["run", "parameters.ts:twinB"], dir, env)).code, 0);
  });
});

describe("cli: a flow's Standard Schema validates and coerces its parameters", function () {
  this.timeout(120_000);
  let dir: string;
  before(ensureBuilt);
  beforeEach(() => {
    dir = tempDir("schema-params");
    fs.copyFileSync(path.join(__dirname, "..", "fixtures", "prefect", "schema.ts"), path.join(dir, "schema.ts"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses what the schema refuses before a run exists, naming the parameter; runs with what it coerced", async () => {
    for (const [args, line] of [
      [[], "flow 'repeat': parameter 'name': Required: a string."],
      [["--param", "name=ab", "--param", "count=abc"], `flow 'repeat': parameter 'count': Expected a number, got "abc".`],
    ] as const) {
      const res = await cli(["run", "schema.ts", ...args], dir);
      assert.equal(res.code, 2, show(res));
      assert.equal(res.stderr, `flowline: ${line}\n`);
    }
    const res = await cli(["run", "schema.ts", "--params", '{"name": "ab", "count": "3"}', "--json"], dir);
    assert.equal(res.code, 0, show(res));
    const out = JSON.parse(res.stdout) as { result: string; flowRun: { parameters: unknown } };
    assert.equal(out.result, "ababab");
    assert.deepEqual(out.flowRun.parameters, { name: "ab", count: 3 }, "the run records the coerced values");
    const ls = await cli(["runs", "ls", "--json"], dir);
    assert.equal((JSON.parse(ls.stdout) as unknown[]).length, 1, "only the accepted run was recorded");
  });
});
