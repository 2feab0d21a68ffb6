import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXAMPLE_FLOW, writeExampleFlow } from "../../src/extension/example-flow";
import { findFlows } from "../../src/extension/flow-finder";
import { setUpTypes } from "../../src/extension/types-setup";

const ROOT = path.resolve(__dirname, "..", "..");

describe("extension: Create Example Flow", function () {
  this.timeout(60_000);
  let ws: string;
  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-example-"));
  });
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  it("writes flows/example_flow.ts, then example_flow_2.ts, never overwriting", () => {
    const first = writeExampleFlow(ws);
    assert.equal(first, path.join(ws, "flows", "example_flow.ts"));
    fs.writeFileSync(first, "// mine");
    assert.equal(writeExampleFlow(ws), path.join(ws, "flows", "example_flow_2.ts"));
    assert.equal(writeExampleFlow(ws), path.join(ws, "flows", "example_flow_3.ts"));
    assert.equal(fs.readFileSync(first, "utf8"), "// mine");
  });

  it("defines one flow the CodeLens finds", () => {
    const flows = findFlows(EXAMPLE_FLOW, "/ws/flows/example_flow.ts");
    assert.equal(flows.length, 1);
    assert.equal(flows[0].flowName, "example-flow");
  });

  it("type-checks with tsc once the types are set up", function () {
    if (!fs.existsSync(path.join(ROOT, "dist", "types", "index.d.ts"))) this.skip();
    setUpTypes({ sourceDir: path.join(ROOT, "dist", "types"), home: path.join(ws, ".flowline"), root: ws, version: "test" });
    writeExampleFlow(ws);
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", ws], { encoding: "utf8", timeout: 50_000 });
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
    // And a mistake is caught, so the check has teeth.
    fs.writeFileSync(path.join(ws, "flows", "bad.ts"), 'import { task } from "flowline";\nexport const t = task({ retries: "two" }, async () => 1);\n');
    const bad = spawnSync(process.execPath, [tsc, "--noEmit", "-p", ws], { encoding: "utf8", timeout: 50_000 });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /bad\.ts/);
  });
});
