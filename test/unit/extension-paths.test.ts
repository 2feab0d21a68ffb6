import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { journalDir, storageDir } from "../../src/shared/home";
import type { FlowlineExtension as Extension } from "../../src/extension/flowline-extension";
import type { RunNode } from "../../src/extension/runs-tree";
import { fakeContext, fakeVscode, type FakeOptions } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";
import { hostileHome, IDS, T, type HostileHome } from "./helpers/hostile-home";

// Paths that come from the database go through the resolver results are written with, or are refused:
// Open Result on a key of `../../../secret.txt`, an absolute key, a symlink out of the storage folder;
// Rerun of a run whose stored file lies outside the project; Go to error on a stack that names a file
// outside it. The real extension (commands, run manager, store) over a real store with a fake vscode;
// the runs are real child processes.

const ROOT = path.resolve(__dirname, "..", "..");

describe("extension: paths from the database stay inside their folders", function () {
  this.timeout(60_000);
  let h: HostileHome;
  let fake: ReturnType<typeof fakeVscode>;
  let context: { subscriptions: Array<{ dispose(): unknown }> };
  let extension: Extension;

  async function start(options: FakeOptions): Promise<void> {
    await extension?.store.close(); // the one a loop started before
    fake = fakeVscode({ workspaceFolder: h.workspace, settings: { home: h.home, warmStart: false }, ...options });
    context = fakeContext(ROOT);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlowlineExtension } = require("../../src/extension/flowline-extension") as typeof import("../../src/extension/flowline-extension");
    extension = new FlowlineExtension(fake.vscode, context as never);
    await extension.services.store.sync();
  }

  const flowRun = async (id: string): Promise<RunNode> => ({ kind: "flowRun", run: (await (await extension.services.store.get()).getFlowRun(id)).flowRun });
  const errors = () => fake.messages.filter((m) => m.level === "error").map((m) => m.text);

  before(ensureBuilt);
  beforeEach(() => {
    h = hostileHome();
    // Beside the hostile runs: a result that is a symlink out of the storage folder, and a good one.
    fs.mkdirSync(storageDir(h.home), { recursive: true });
    fs.symlinkSync(h.secret, path.join(storageDir(h.home), "leak.json"));
    fs.writeFileSync(path.join(storageDir(h.home), "good.json"), '{"data":1}');
    // And a flow file inside the workspace that is a symlink to the one outside.
    fs.symlinkSync(h.outsideFlow, path.join(h.workspace, "linked.ts"));
    const run = (id: string, resultKey: string, file?: string) => [
      { e: "flow_run", id, name: id, flowName: "f", parameters: {}, tags: [], created: T, expectedStartTime: T, pid: 1, file },
      { e: "state", kind: "flow", id, type: "Completed", name: "Completed", ts: T, resultKey },
    ];
    const events = [...run("leak", "leak.json", path.join(h.workspace, "linked.ts")), ...run("good", "good.json"), { e: "close", ts: T }];
    fs.writeFileSync(path.join(journalDir(h.home), "1-more.ndjson"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  });
  afterEach(async () => {
    await extension.store.close();
    for (const d of context.subscriptions.splice(0)) d.dispose();
    h.cleanup();
  });

  it("Open Result refuses a result key that leaves the storage folder, in Restricted Mode as when trusted", async () => {
    for (const trusted of [false, true]) {
      await start({ trusted });
      const openResult = fake.commands.get("flowline.openResult") as (node: RunNode) => Promise<void>;
      const detail = await (await extension.services.store.get()).getFlowRun(IDS.flowRun);
      await openResult(await flowRun(IDS.flowRun)); // ../../../secret.txt
      await openResult({ kind: "taskRun", run: detail.taskRuns[0] }); // the secret's absolute path
      await openResult(await flowRun("leak")); // storage/leak.json -> the secret
      assert.deepEqual(fake.opened, [], "nothing outside the storage folder was opened");
      const said = errors();
      assert.equal(said.length, 3, said.join("\n"));
      assert.match(said[0], /^Flowline: not opening the result: The result storage key "\.\.\/\.\.\/\.\.\/secret\.txt" has a "\.\." segment and would leave the storage folder\. Results open only from the storage folder /);
      assert.match(said[1], /is an absolute path/);
      assert.match(said[2], /goes through a symbolic link that leads outside the storage folder/);
      // A result inside the folder still opens.
      await openResult(await flowRun("good"));
      assert.deepEqual(fake.opened, [path.join(storageDir(h.home), "good.json")]);
      for (const d of context.subscriptions.splice(0)) d.dispose();
    }
  });

  it("Rerun refuses a stored run whose flow file is outside the project (or a symlink out of it), and runs nothing", async () => {
    await start({ trusted: true });
    await fake.commands.get("flowline.rerunLastFlowRun")?.(await flowRun(IDS.flowRun));
    await fake.commands.get("flowline.rerunLastFlowRun")?.(await flowRun("leak"));
    assert.equal(extension.runs.active().length, 0, "no run started");
    const said = errors();
    assert.equal(said.length, 2, said.join("\n"));
    assert.ok(said[0].startsWith("Flowline: cannot rerun 'flow"), said[0]);
    assert.ok(said[0].endsWith(`${h.outsideFlow} is outside this project (${h.workspace}); Flowline opens and runs only files inside it.`), said[0]);
    assert.equal(said[1], `Flowline: cannot rerun 'f': The file of flow run 'leak' ${path.join(h.workspace, "linked.ts")} is outside this project (${h.workspace}); Flowline opens and runs only files inside it.`);
  });

  it("Go to error opens the flow's own line, and refuses a stack that names a file outside the project", async () => {
    await start({ trusted: true, respond: (m) => (m.actions.includes("Go to error") ? "Go to error" : undefined) });
    // The flow is the workspace's, its error's stack is whatever the flow makes it.
    const flowFile = path.join(h.workspace, "forged.ts");
    fs.writeFileSync(
      flowFile,
      `import { flow } from "flowline";\n` +
        `export const forged = flow({ name: "forged" }, async () => {\n` +
        `  const e = new Error("boom");\n` +
        `  e.stack = "Error: boom\\n    at evil (" + ${JSON.stringify(h.secret)} + ":1:1)";\n` +
        `  throw e;\n});\n` +
        `export const honest = flow({ name: "honest" }, async () => {\n  throw new Error("here");\n});\n`,
    );
    const run = async (target: string) => {
      const ended = new Promise<void>((resolve) => extension.runs.onDidEnd(() => resolve()));
      await fake.commands.get("flowline.runFlow")?.({ file: flowFile, target, label: target, defaults: {}, names: [], open: false });
      await ended;
      await new Promise((r) => setTimeout(r, 50)); // the message's answer is handled after the end event
    };
    await run("forged");
    assert.deepEqual(fake.opened, [], "the file the stack names was not opened");
    assert.match(errors().at(-1) ?? "", new RegExp(`^Flowline: not going to the error: The file of the error ${h.secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is outside this project`));
    await run("honest");
    assert.deepEqual(fake.opened, [flowFile]);
  });
});
