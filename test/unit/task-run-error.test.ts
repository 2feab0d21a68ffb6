import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunManager } from "../../src/extension/run-manager";
import { RunsTreeProvider } from "../../src/extension/runs-tree";
import { resolveNodeRuntime } from "../../src/extension/settings";
import type { StoreService } from "../../src/extension/store-service";
import { goToTaskRunError } from "../../src/extension/task-run-error";
import { fakeVscode, testStoreService } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";

// Clicking a failed task run in the Flow Runs tree goes to its error's line in the user's file, with a real
// flow process and the real store; a file outside the project is refused, as Go to error refuses it.

const ROOT = path.resolve(__dirname, "..", "..");
const FLOW = `import { flow, task } from "flowline";
const ok = task({ name: "ok" }, async () => 1);
const bad = task({ name: "bad" }, async () => {
  throw new Error("boom");
});
export const f = flow({ name: "f" }, async () => {
  await ok();
  await bad();
});
`;

describe("a failed task run's click goes to its error line", function () {
  this.timeout(60_000);
  before(ensureBuilt);
  let ws: string;
  let store: StoreService;
  let runs: RunManager;

  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-task-error-"));
    fs.writeFileSync(path.join(ws, "f.ts"), FLOW);
    const home = path.join(ws, ".flowline");
    store = testStoreService(() => home);
    runs = new RunManager({ environment: () => ({ home, node: resolveNodeRuntime(""), env: {}, cancelGraceSeconds: 2, cwd: ws }), store, log: { debug() {}, info() {}, warn() {}, error() {} }, flowlineDirs: [ROOT], isTrusted: () => true });
  });
  afterEach(async () => {
    runs.dispose();
    await store.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  async function taskNodes(projectFolders: string[]) {
    const fake = fakeVscode({ workspaceFolder: ws });
    const outcome = await runs.start({ file: path.join(ws, "f.ts"), target: "f", label: "f", parameters: {} }).done;
    assert.equal(outcome.state.type, "Failed");
    await (await store.get()).sync({ wait: true });
    const tree = new RunsTreeProvider(fake.vscode, store, runs, () => 100, (run) => goToTaskRunError({ vscode: fake.vscode, store, flowlineDirs: [ROOT], projectFolders: () => projectFolders }, run));
    const [flowRun] = await tree.getChildren();
    const nodes = await tree.getChildren(flowRun);
    const items = await Promise.all(nodes.map((n) => tree.getTreeItem(n)));
    return { fake, tree, nodes, items };
  }

  it("the failed task run's row goes to the throw; the completed one's row has no click", async () => {
    const { fake, tree, nodes, items } = await taskNodes([ws]);
    assert.deepEqual(items.map((i) => [String(i.label), i.command?.title]), [["ok-0", undefined], ["bad-0", "Go to Error"]]);
    await tree.click(nodes[1]);
    assert.deepEqual(fake.opened, [path.join(ws, "f.ts")]);
  });

  it("a file outside the project is not opened, and the refusal says why", async () => {
    const { fake, tree, nodes } = await taskNodes([path.join(os.tmpdir(), "some-other-project")]);
    await tree.click(nodes[1]);
    assert.deepEqual(fake.opened, []);
    assert.match(fake.messages.at(-1)?.text ?? "", /^Flowline: not going to the error: The file of the error .* is outside this project/);
  });
});
