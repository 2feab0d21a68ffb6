import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunDiagnostics } from "../../src/extension/run-diagnostics";
import { RunManager, type RunSpec } from "../../src/extension/run-manager";
import { resolveNodeRuntime } from "../../src/extension/settings";
import type { StoreService } from "../../src/extension/store-service";
import { fakeVscode, testStoreService } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";

// Failures stay where they happened: real flow processes fail, and the diagnostic sits at the user's line
// until that flow's next run completes. A file that does not compile gets one at its syntax error.

const ROOT = path.resolve(__dirname, "..", "..");

describe("failures as diagnostics at the user's line", function () {
  this.timeout(60_000);
  before(ensureBuilt);
  let ws: string;
  let store: StoreService;
  let runs: RunManager;
  let fake: ReturnType<typeof fakeVscode>;
  let diagnostics: RunDiagnostics;

  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-diag-"));
    fs.cpSync(path.join(ROOT, "test", "fixtures", "e2e"), ws, { recursive: true });
    const home = path.join(ws, ".flowline");
    store = testStoreService(() => home);
    runs = new RunManager({ environment: () => ({ home, node: resolveNodeRuntime(""), env: {}, cancelGraceSeconds: 2, cwd: ws }), store, log: { debug() {}, info() {}, warn() {}, error() {} }, flowlineDirs: [ROOT], isTrusted: () => true });
    fake = fakeVscode();
    diagnostics = new RunDiagnostics(fake.vscode, runs);
  });
  afterEach(async () => {
    diagnostics.dispose();
    runs.dispose();
    await store.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const spec = (file: string, target: string): RunSpec => ({ file: path.join(ws, file), target, label: target, parameters: {} });
  const at = (file: string) => (fake.diagnostics.get(path.join(ws, file)) ?? []).map((d) => [d.range.start.line + 1, d.message, d.source]);

  it("a failed flow leaves an error at the throw's line, which clears when the fixed flow completes", async () => {
    const failed = await runs.start(spec("failing.ts", "failing")).done;
    assert.equal(failed.state.type, "Failed");
    const [diagnostic, ...rest] = at("failing.ts");
    assert.deepEqual(rest, []);
    assert.equal(diagnostic[0], 5, "the line of the throw");
    assert.match(String(diagnostic[1]), /^Flow run '\S+' of 'failing' Failed: value 1 is too big$/);
    assert.equal(diagnostic[2], "Flowline");

    const file = path.join(ws, "failing.ts");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("check(1)", "check(0)"));
    assert.equal((await runs.start(spec("failing.ts", "failing")).done).state.type, "Completed");
    assert.deepEqual(at("failing.ts"), [], "cleared by the next successful run");
  });

  it("a flow file that does not compile gets an error at its syntax error", async () => {
    fs.writeFileSync(path.join(ws, "broken.ts"), 'import { flow } from "flowline";\nexport const broken = flow(async () => {\n  const x = ;\n});\n');
    const outcome = await runs.start(spec("broken.ts", "broken")).done;
    assert.equal(outcome.exitCode, 2);
    assert.deepEqual(outcome.errorLocation && [outcome.errorLocation.line, outcome.errorLocation.column], [3, 13]);
    assert.deepEqual(at("broken.ts").map((d) => d[0]), [3]);
    assert.match(String(at("broken.ts")[0][1]), /could not start: .*Unexpected ";"/);
  });
});
