import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { flowWhere, registerCommands } from "../../src/extension/commands";
import { findFlows } from "../../src/extension/flow-finder";
import { RunManager } from "../../src/extension/run-manager";
import type { RunNode } from "../../src/extension/runs-tree";
import type { StoreService } from "../../src/extension/store-service";
import { fakeContext, fakeVscode, testStoreService } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";

// One name for a flow, and feedback from every command: what a user sees when they pick a flow, refresh,
// ask for logs, or rerun a row. Real examples, the real store in its worker; VS Code is the fake.

const ROOT = path.resolve(__dirname, "..", "..");

describe("one name for a flow", () => {
  it("names a flow by its name, with its export as a detail, so two `myFlow` exports are told apart", () => {
    const flows = ["hello_world.ts", "runtime_context.ts"].map((f) => {
      const file = path.join(ROOT, "examples", f);
      const [flow] = findFlows(fs.readFileSync(file, "utf8"), file);
      return { file, target: flow.target, label: flow.label, detail: flow.detail };
    });
    assert.deepEqual(flows.map((f) => [f.label, f.detail, f.target]), [["my-flow", "myFlow", "myFlow"], ["runtime-context", "myFlow", "myFlow"]]);
    assert.deepEqual(flows.map((f) => flowWhere(f, ROOT)), [path.join("examples", "hello_world.ts") + " › myFlow", path.join("examples", "runtime_context.ts") + " › myFlow"]);
  });

  it("shows no detail when the export is named as the flow", () => {
    const [flow] = findFlows(`import { flow } from "flowline";\nexport const etl = flow(async function etl() {});\n`, "a.ts");
    assert.deepEqual([flow.label, flow.detail], ["etl", undefined]);
  });
});

describe("every command says what happened", function () {
  this.timeout(30_000);
  let dir: string;
  let store: StoreService;
  let runs: RunManager;
  let fake: ReturnType<typeof fakeVscode>;
  let selected: RunNode | undefined;

  before(() => ensureBuilt());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-feedback-"));
    store = testStoreService(() => path.join(dir, ".flowline"));
    runs = new RunManager({ environment: () => { throw new Error("no runs here"); }, store, log: console as never, flowlineDirs: [], isTrusted: () => true });
    fake = fakeVscode({ workspaceFolder: dir });
    selected = undefined;
    registerCommands({ vscode: fake.vscode, context: fakeContext(ROOT), runs, store, output: { show: () => fake.calls.push({ api: "output.show", args: [] }), error() {} } as never, refreshTree() {}, projectFolders: () => [dir], selectedRun: () => selected });
  });
  afterEach(async () => {
    runs.dispose();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (id: string, ...args: unknown[]) => fake.commands.get(id)!(...args);
  const statusMessages = () => fake.calls.filter((c) => c.api === "setStatusBarMessage").map((c) => String(c.args[0]));

  it("Refresh says it re-read the runs", async () => {
    await run("flowline.refresh");
    assert.deepEqual(statusMessages(), ["$(check) Flowline: runs and artifacts re-read"]);
  });

  it("Show Logs from the palette opens the log of the run selected in the tree", async () => {
    selected = { kind: "flowRun", run: { id: "f1", name: "happy-fox" } } as RunNode;
    await run("flowline.showLogs");
    assert.deepEqual(fake.opened, ["/happy-fox.log"]);
  });

  it("Show Logs with no run selected and none run here shows the Output and says why", async () => {
    await run("flowline.showLogs");
    assert.ok(fake.calls.some((c) => c.api === "output.show"));
    assert.match(statusMessages()[0], /no run selected; the Output shows the live logs/);
  });

  it("Cancel with nothing running says so", async () => {
    await run("flowline.cancelFlowRun");
    assert.deepEqual(fake.messages.map((m) => m.text), ["Flowline: no flow run is running in this window."]);
  });

  it("the inline rerun of a row is Rerun This Flow Run", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const title = manifest.contributes.commands.find((c: { command: string }) => c.command === "flowline.rerunFlowRun")?.title;
    assert.equal(title, "Rerun This Flow Run");
    const inline = manifest.contributes.menus["view/item/context"].filter((m: { group: string }) => m.group.startsWith("inline"));
    assert.ok(inline.some((m: { command: string }) => m.command === "flowline.rerunFlowRun"));
    assert.ok(!inline.some((m: { command: string }) => m.command === "flowline.rerunLastFlowRun"), "no row says Rerun Last");
    assert.ok(fake.commands.has("flowline.rerunFlowRun"));
  });
});
