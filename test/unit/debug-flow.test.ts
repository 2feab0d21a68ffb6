import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { debugFlow } from "../../src/extension/debug-flow";
import { RunManager } from "../../src/extension/run-manager";
import { resolveNodeRuntime } from "../../src/extension/settings";
import type { StoreService } from "../../src/extension/store-service";
import { fakeVscode, testStoreService } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";

// ▶ Debug flow starts the very run ▶ Run flow starts, paused under the inspector until a debugger attaches.
// Here the debugger is a few lines of the DevTools protocol (what js-debug sends first): the flow waits for
// it, then runs to Completed and stores its task runs like any run.

const ROOT = path.resolve(__dirname, "..", "..");

/** Attaches to a node inspector, lets the paused process run, and leaves when it is done. */
function resumeUnder(address: string): ChildProcess {
  const script = `const ws = new WebSocket(${JSON.stringify(address)}); let id = 0;
    ws.onopen = () => { for (const method of ["Runtime.enable", "Debugger.enable", "Runtime.runIfWaitingForDebugger"]) ws.send(JSON.stringify({ id: ++id, method })); };
    ws.onmessage = (m) => { const msg = JSON.parse(m.data);
      if (msg.method === "Debugger.paused") ws.send(JSON.stringify({ id: ++id, method: "Debugger.resume" }));
      // The process has ended its work and waits for the debugger to go, as js-debug then does.
      if (msg.method === "Runtime.executionContextDestroyed") ws.close(); };`;
  return spawn(process.execPath, ["--experimental-websocket", "--no-warnings", "-e", script], { stdio: "ignore" });
}

describe("▶ Debug flow", function () {
  this.timeout(60_000);
  before(ensureBuilt);
  let ws: string;
  let store: StoreService;
  let runs: RunManager;
  const debuggers: ChildProcess[] = [];

  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-debug-"));
    fs.cpSync(path.join(ROOT, "test", "fixtures", "e2e"), ws, { recursive: true });
    const home = path.join(ws, ".flowline");
    store = testStoreService(() => home);
    runs = new RunManager({ environment: () => ({ home, node: resolveNodeRuntime(""), env: {}, cancelGraceSeconds: 2, cwd: ws }), store, log: { debug() {}, info() {}, warn() {}, error() {} }, flowlineDirs: [ROOT], isTrusted: () => true, warmStart: () => true });
  });
  afterEach(async () => {
    for (const d of debuggers.splice(0)) d.kill();
    runs.dispose();
    await store.close();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it("waits for the debugger, attaches js-debug to the flow process, and runs to Completed as a normal run", async () => {
    const fake = fakeVscode({ workspaceFolder: ws });
    const configs: Array<Record<string, unknown>> = [];
    let attach!: () => void;
    const attached = new Promise<void>((resolve) => (attach = resolve));
    (fake.vscode as unknown as { debug: unknown }).debug = {
      startDebugging: async (_folder: unknown, config: Record<string, unknown>) => {
        configs.push(config);
        attach();
        return true;
      },
    };
    const spec = { file: path.join(ws, "hello.ts"), target: "hello", label: "say-hello", parameters: {} };
    await debugFlow(fake.vscode, runs, spec, console as never, ROOT);
    await attached;
    const [run] = runs.active();
    assert.ok(run, "the run goes");
    assert.deepEqual([configs[0].type, configs[0].request, configs[0].continueOnAttach, configs[0].sourceMaps], ["pwa-node", "attach", true, true]);
    assert.match(String(configs[0].websocketAddress), /^ws:\/\/127\.0\.0\.1:\d+\//);
    assert.ok((configs[0].skipFiles as string[]).includes(`${ROOT}/**`), "the engine's frames are skipped");
    // Paused before its first line until a debugger lets it go: no task run yet.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(run.tasksStarted, 0, "the flow waits for the debugger");
    debuggers.push(resumeUnder(String(configs[0].websocketAddress)));
    const outcome = await run.done;
    assert.equal(outcome.state.type, "Completed");
    const detail = await (await store.get()).getFlowRun(outcome.flowRunId!);
    assert.deepEqual(detail.taskRuns.map((t) => [t.name, t.state.type]), [["greet-0", "Completed"], ["shout-0", "Completed"]]);
  });
});
