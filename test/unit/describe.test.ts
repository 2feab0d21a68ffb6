// What a flow process reports of a file's flows and their parameters without running one (describe,
// src/runner/describe.ts): real child processes loading real flow files from test/fixtures/describe.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UserError } from "../../src/engine/errors";
import type { FlowParameters } from "../../src/engine/parameter-specs";
import { RunManager, RefusedError } from "../../src/extension/run-manager";
import { resolveNodeRuntime } from "../../src/extension/settings";
import { describeFlows, type DescribeRequest } from "../../src/runner/describe";
import { startFlowProcess } from "../../src/runner/run";
import { ensureBuilt } from "./helpers/build";
import { until } from "./helpers/until";

const FIXTURES = path.resolve(__dirname, "..", "fixtures", "describe");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("describe: a flow file's flows and parameters, from its flow process", function () {
  this.timeout(60_000);
  let dir: string;
  let marker: string;

  before(function () {
    this.timeout(180_000);
    ensureBuilt();
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-describe-"));
    fs.cpSync(FIXTURES, dir, { recursive: true });
    marker = path.join(dir, "ran.txt");
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const request = (file: string, flow?: string): DescribeRequest => ({
    file: path.join(dir, file),
    flow,
    home: path.join(dir, ".flowline"),
    cwd: dir,
    env: { NODE_OPTIONS: "", SHAPES_MARKER: marker },
  });
  const paramsOf = async (flow: string): Promise<FlowParameters> => (await describeFlows(request("shapes.ts", flow))).selected.parameters;

  it("lists every flow of the file, the selected one, and runs none of them", async () => {
    const { flows, selected } = await describeFlows(request("shapes.ts", "objectFlow"));
    assert.deepEqual(
      flows.map((f) => [f.exportName, f.name]),
      // Exported ones as the compiled module lists them, then the one the file does not export.
      [["declared", "load"], ["imported", "imported"], ["merged", "merged"], ["none", "none"], ["objectFlow", "objectFlow"], ["positional", "named"], ["single", "single"], ["withRest", "withRest"], [undefined, "not-exported"]],
    );
    assert.equal(selected.exportName, "objectFlow");
    assert.ok(!fs.existsSync(marker), "no flow ran");
    assert.ok(!fs.existsSync(path.join(dir, ".flowline")), "nothing was written to the home");
  });

  it("reads a destructured object: literal defaults, a default the function computes, and one with none", async () => {
    assert.deepEqual(await paramsOf("objectFlow"), {
      kind: "object",
      open: false,
      parameters: [
        { name: "n", required: false, default: 1, type: "number", schema: { type: "number" } },
        { name: "s", required: false, default: "x", type: "string", schema: { type: "string" } },
        { name: "b", required: false, default: false, type: "boolean", schema: { type: "boolean" } },
        { name: "list", required: false, default: [1, "a"], type: "unknown[]", schema: { type: "array", items: {} } },
        { name: "o", required: false, default: { k: null }, type: "object", schema: {} },
        { name: "when", required: false, type: "Date", schema: {} },
        { name: "required", required: true, type: "string", schema: { type: "string" }, typeRequired: true },
      ],
    });
  });

  it("takes defaults from the options' parameters first, then the whole argument's default, then the pattern's", async () => {
    // As JavaScript does: called with nothing, the function destructures { b: "from-arg", c: 3 }.
    const p = await paramsOf("merged");
    assert.deepEqual(p.parameters.map((x) => [x.name, x.default]), [["a", 10], ["b", "from-arg"], ["c", 3]]);
  });

  it("reads positional parameters by name, a rest parameter as a list, and a flow that takes none", async () => {
    const positional = await paramsOf("named");
    assert.deepEqual(positional, {
      kind: "positional",
      open: false,
      parameters: [
        { name: "day", required: true, type: "string", schema: { type: "string" }, typeRequired: true },
        { name: "retries", required: false, default: 3, type: "number", schema: { type: "number" } },
        // `label?: string` has no default, but its type lets a run leave it out.
        { name: "label", required: true, type: "string", schema: { type: "string" } },
      ],
    });
    const rest = await paramsOf("withRest");
    assert.deepEqual(rest.parameters, [{ name: "first", required: true, type: "number", schema: { type: "number" }, typeRequired: true }, { name: "rest", required: false, default: [], rest: true }]);
    assert.equal(rest.open, false);
    assert.deepEqual(await paramsOf("none"), { kind: "none", open: false, parameters: [] });
  });

  it("treats a single plain parameter as an open object, and reads functions declared elsewhere, in this file or another", async () => {
    assert.deepEqual(await paramsOf("single"), { kind: "positional", open: true, parameters: [] });
    assert.deepEqual((await paramsOf("declared")).parameters, [{ name: "table", required: false, default: "users", type: "string", schema: { type: "string" } }]);
    assert.deepEqual((await paramsOf("imported")).parameters, [
      { name: "title", required: true, type: "string", schema: { type: "string" }, typeRequired: true },
      { name: "pages", required: false, default: 10, type: "number", schema: { type: "number" } },
      { name: "format", required: false, default: "pdf", type: '"pdf" | "html"', schema: { enum: ["pdf", "html"] } },
    ]);
  });

  it("reports the same parameters when a run loads the file", async () => {
    const proc = startFlowProcess({ ...request("shapes.ts", "imported"), parameters: { title: "t" } });
    let loaded: unknown;
    proc.on("loaded", (summary) => (loaded = summary.parameters));
    assert.equal((await proc.done).exitCode, 0);
    assert.deepEqual(loaded, await paramsOf("imported"));
  });

  it("records nothing of a flow run the file starts as it loads", async () => {
    const { selected } = await describeFlows(request("runs-on-load.ts"));
    assert.deepEqual(selected.parameters.parameters, [{ name: "who", required: false, default: "loader", type: "string", schema: { type: "string" } }]);
    assert.ok(!fs.existsSync(path.join(dir, ".flowline")), "no journal, no database");
  });

  it("says why when the file does not compile, or has no such flow, as a run would", async () => {
    fs.writeFileSync(path.join(dir, "broken.ts"), `import { flow } from "flowline";\nexport const broken = flow(async () => {\n  return 1 +;\n});\n`);
    await assert.rejects(describeFlows(request("broken.ts")), (err: Error) => err instanceof UserError && /broken\.ts:3:\d+: Unexpected ";"/.test(err.message));
    await assert.rejects(describeFlows(request("shapes.ts", "nope")), (err: Error) => err instanceof UserError && /shapes\.ts has no flow 'nope'; it has: declared \(load\), imported, merged/.test(err.message));
    await assert.rejects(describeFlows(request("missing.ts")), /No such flow file/);
  });

  it("stops a file that never finishes loading, and says so", async () => {
    fs.writeFileSync(path.join(dir, "hangs.ts"), `import { flow } from "flowline";\nexport const f = flow(async () => {});\nwhile (true) {}\n`);
    await assert.rejects(describeFlows({ ...request("hangs.ts"), timeoutMs: 3000 }), /hangs\.ts took more than 3 s to load; its flows could not be listed/);
  });
});

describe("describe: from the extension's run manager", function () {
  this.timeout(60_000);
  let dir: string;
  let runs: RunManager;
  let trusted: boolean;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-describe-ext-"));
    fs.cpSync(FIXTURES, dir, { recursive: true });
    trusted = true;
    runs = new RunManager({
      environment: () => ({ home: path.join(dir, ".flowline"), node: resolveNodeRuntime(""), env: { NODE_OPTIONS: "" }, cancelGraceSeconds: 2, cwd: dir }),
      store: {} as never,
      log: console,
      flowlineDirs: [],
      isTrusted: () => trusted,
      warmStart: () => true,
    });
  });

  afterEach(() => {
    runs.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const target = { file: "", target: "imported", label: "imported" };

  it("asks the waiting flow process, and starts another for the run that follows", async () => {
    const file = path.join(dir, "shapes.ts");
    runs.warmUp(file);
    // Its pid comes once the spawn thread has started it.
    await until(() => runs.warmPid !== undefined, "a process waiting");
    const waiting = runs.warmPid;
    const { selected } = await runs.describe({ ...target, file });
    assert.equal(selected.name, "imported");
    await until(() => runs.warmPid !== undefined && runs.warmPid !== waiting, "a new process to wait for the run");
    await until(() => !alive(waiting as number), "the process that answered to exit");
  });

  it("refuses in Restricted Mode, as a run is refused, without starting a process", async () => {
    trusted = false;
    await assert.rejects(runs.describe({ ...target, file: path.join(dir, "shapes.ts") }), (err: Error) => err instanceof RefusedError && /Restricted Mode/.test(err.message));
    assert.equal(runs.warmPid, undefined);
  });
});
