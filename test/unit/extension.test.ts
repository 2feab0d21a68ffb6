import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FlowParameters } from "../../src/engine/parameter-specs";
import { FlowCodeLensProvider } from "../../src/extension/codelens";
import { parseStackFrames, userErrorLocation } from "../../src/shared/error-location";
import { parametersPrefill, parametersPrompt, validateParameters } from "../../src/extension/parameters";
import { RunManager } from "../../src/extension/run-manager";
import { formatDuration, relativeTime, stateIcon } from "../../src/extension/runs-model";
import { readSettings, resolveHomeFolder, resolveNodeRuntime, runEnvironment } from "../../src/extension/settings";
import { fakeContext, fakeVscode } from "../fake-vscode";

// The extension's logic in plain Node: vscode is a fake handed in through constructors.

describe("extension: the user's line in a failed run's stack", () => {
  const stack = [
    "Error: value 1 is too big",
    "    at check (/ws/flows/helpers.ts:4:24)",
    "    at Object.fn (/ws/flows/failing.ts:9:3)",
    "    at /ext/dist/flowline.js:12567:45",
    "    at AsyncLocalStorage.run (node:async_hooks:346:14)",
  ].join("\n");

  it("prefers the flow file's own frame", () => {
    assert.deepEqual(userErrorLocation(stack, "/ws/flows/failing.ts", ["/ext"]), { file: "/ws/flows/failing.ts", line: 9, column: 3 });
  });

  it("else takes the first frame outside Flowline and node_modules", () => {
    const other = ["Error: x", "    at lib (/ws/node_modules/lib/index.js:1:1)", "    at run (/ext/dist/flowline.js:1:1)", "    at helper (file:///ws/src/util%20s.ts:7:2)"].join("\n");
    assert.deepEqual(userErrorLocation(other, "/ws/flow.ts", ["/ext"]), { file: "/ws/src/util s.ts", line: 7, column: 2 });
    assert.equal(userErrorLocation("Error: no frames", "/ws/flow.ts", []), undefined);
    assert.equal(parseStackFrames(stack).length, 3);
  });
});

describe("extension: settings", () => {
  it("falls back to defaults for missing or mistyped values", () => {
    const s = readSettings((key) => ({ cancelGraceSeconds: "soon", "runsTree.limit": 5.4, env: { A: 1, B: null }, revealOutput: "sometimes" } as Record<string, unknown>)[key] as never);
    assert.equal(s.cancelGraceSeconds, 5);
    assert.equal(s.runsLimit, 5);
    assert.deepEqual(s.env, { A: "1" });
    assert.equal(s.revealOutput, "always");
    assert.equal(s.codeLensEnabled, true);
  });

  it("resolves the home: the setting (relative to the folder), then $FLOWLINE_HOME, then .flowline", () => {
    assert.equal(resolveHomeFolder({ home: "data/fl" }, "/ws", {}), path.resolve("/ws/data/fl"));
    assert.equal(resolveHomeFolder({ home: "" }, "/ws", { FLOWLINE_HOME: "/elsewhere" }), "/elsewhere");
    assert.equal(resolveHomeFolder({ home: "" }, "/ws", {}), path.join("/ws", ".flowline"));
    assert.equal(resolveHomeFolder({ home: "" }, undefined, {}), path.join(os.homedir(), ".flowline"));
  });

  it("passes flowline.env and the retention setting to runs", () => {
    assert.deepEqual(runEnvironment({ env: { API: "x" }, retentionDays: 0 }), { API: "x" });
    assert.deepEqual(runEnvironment({ env: {}, retentionDays: 30 }), { FLOWLINE_RETENTION_DAYS: "30" });
  });

  it("finds node: the setting, else PATH, else VS Code's own runtime as node", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-node-"));
    const fakeNode = path.join(dir, "node");
    fs.writeFileSync(fakeNode, "#!/bin/sh\n", { mode: 0o755 });
    assert.deepEqual(resolveNodeRuntime(fakeNode, {}), { command: fakeNode, env: {}, source: "setting" });
    assert.throws(() => resolveNodeRuntime(path.join(dir, "missing"), {}), /flowline\.nodePath is .* not an executable file/);
    assert.deepEqual(resolveNodeRuntime("", { PATH: `/nonexistent${path.delimiter}${dir}` }), { command: fakeNode, env: {}, source: "path" });
    assert.deepEqual(resolveNodeRuntime("", { PATH: "/nonexistent" }, "/opt/code/code"), { command: "/opt/code/code", env: { ELECTRON_RUN_AS_NODE: "1" }, source: "vscode" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("extension: Run with parameters…", () => {
  // As a flow's process reports them (describe.test.ts); the prompt's own checks: parameters-prompt.test.ts.
  const known: FlowParameters = { kind: "object", open: false, parameters: [{ name: "name", required: false, default: "world" }, { name: "count", required: true }] };

  it("starts from the known defaults (or the last parameters used) and says which have none", () => {
    assert.equal(parametersPrefill(known), '{"name":"world"}');
    assert.equal(parametersPrefill(known, { name: "again" }), '{"name":"again"}');
    assert.equal(parametersPrompt(known), "A JSON object. Parameters: name, count (no default)");
    const typed: FlowParameters = { ...known, parameters: [known.parameters[0], { ...known.parameters[1], type: "number" }] };
    assert.equal(parametersPrompt(typed), "A JSON object. Parameters: name, count: number (no default)", "a type, once known, is shown");
  });

  it("refuses what is not a JSON object, and names unknown parameters before any run starts", () => {
    assert.match(validateParameters("{name:", known) ?? "", /^Not valid JSON/);
    assert.match(validateParameters("[1]", known) ?? "", /must be a JSON object/);
    assert.equal(validateParameters('{"nme": 1}', known), "Unknown parameter 'nme'; it takes: name, count.");
    assert.equal(validateParameters('{"name": "x", "count": 2}', known), undefined);
    assert.equal(validateParameters("", known), undefined);
    assert.equal(validateParameters('{"anything": 1}', { ...known, open: true }), undefined);
  });
});

describe("extension: how runs look", () => {
  it("gives each state, and Prefect's named states, an icon in a testing theme colour", () => {
    assert.deepEqual(stateIcon({ type: "Completed", name: "Completed" }), { id: "pass-filled", color: "testing.iconPassed" });
    assert.deepEqual(stateIcon({ type: "Completed", name: "Cached" }), { id: "database", color: "testing.iconPassed" });
    assert.deepEqual(stateIcon({ type: "Failed", name: "TimedOut" }), { id: "watch", color: "testing.iconFailed" });
    assert.equal(stateIcon({ type: "Crashed", name: "Crashed" }).color, "testing.iconErrored");
    assert.equal(stateIcon({ type: "Running", name: "Running" }).id, "sync~spin");
    assert.equal(stateIcon({ type: "Pending", name: "AwaitingRetry" }).id, "history");
  });

  it("formats durations and times for people", () => {
    assert.equal(formatDuration(420), "0.42 s");
    assert.equal(formatDuration(12_345), "12.3 s");
    assert.equal(formatDuration(184_000), "3 min 04 s");
    assert.equal(formatDuration(7_500_000), "2 h 05 min");
    const now = Date.parse("2026-01-02T12:00:00Z");
    assert.equal(relativeTime("2026-01-02T11:59:50Z", now), "just now");
    assert.equal(relativeTime("2026-01-02T11:55:00Z", now), "5 min ago");
    assert.equal(relativeTime("2025-12-01T00:00:00Z", now), "2025-12-01");
  });
});

describe("extension: CodeLens", () => {
  const src = `import { flow } from "flowline";\n\nexport const a = flow(async ({ x = 1 }: { x?: number }) => {});\nexport const b = flow(async () => {});\n`;
  const runs = () => new RunManager({ environment: () => { throw new Error("not used"); }, store: {} as never, log: console as never, flowlineDirs: [], isTrusted: () => true });

  it("puts ▶ Run flow, ▶ Debug flow and Run with parameters… above each flow, with what the commands need", () => {
    const fake = fakeVscode();
    const provider = new FlowCodeLensProvider(fake.vscode, runs(), () => true);
    const lenses = provider.provideCodeLenses(fake.document("/ws/flows.ts", src));
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [[2, "▶ Run flow"], [2, "▶ Debug flow"], [2, "Run with parameters…"], [3, "▶ Run flow"], [3, "▶ Debug flow"], [3, "Run with parameters…"]]);
    assert.deepEqual(lenses[2].command?.arguments, [{ file: path.resolve("/ws/flows.ts"), target: "a", label: "a" }]);
    assert.deepEqual([lenses[1].command?.command, lenses[1].command?.arguments], ["flowline.debugFlow", lenses[0].command?.arguments]);
  });

  it("shows no lenses when turned off, and a trust lens instead of Run in Restricted Mode", () => {
    const fake = fakeVscode({ trusted: false });
    assert.deepEqual(new FlowCodeLensProvider(fake.vscode, runs(), () => false).provideCodeLenses(fake.document("/ws/f.ts", src)), []);
    const lenses = new FlowCodeLensProvider(fake.vscode, runs(), () => true).provideCodeLenses(fake.document("/ws/f.ts", src));
    assert.equal(lenses.length, 2);
    assert.match(lenses[0].command?.title ?? "", /trust this workspace to run flows/);
    assert.equal(lenses[0].command?.command, "workbench.trust.manage");
  });

  it("keeps a document's lenses while an edit leaves it unreadable, and follows it once it reads again", () => {
    const fake = fakeVscode();
    const provider = new FlowCodeLensProvider(fake.vscode, runs(), () => true);
    const titles = (text: string, version: number) => provider.provideCodeLenses(fake.document("/ws/f.ts", text, version)).map((l) => `${l.range.start.line} ${l.command?.title}`);
    const before = titles(src, 1);
    const typing = src.replace("export const b = flow(async () => {});", "export const b = flow(async () => {\n  if (ready) {");
    assert.deepEqual(titles(typing, 2), before);
    assert.deepEqual(titles(src + "export const c = flow(async () => {});\n", 3), [...before, "4 ▶ Run flow", "4 ▶ Debug flow", "4 Run with parameters…"]);
  });

  it("parses a document once per version", () => {
    const fake = fakeVscode();
    const provider = new FlowCodeLensProvider(fake.vscode, runs(), () => true);
    let reads = 0;
    const doc = { ...(fake.document("/ws/f.ts", src) as object), getText: () => (reads++, src) } as never;
    provider.provideCodeLenses(doc);
    provider.provideCodeLenses(doc);
    assert.equal(reads, 1);
  });
});

describe("extension: activation", () => {
  it("registers its commands and providers without loading the store or sql.js", () => {
    const before = new Set(Object.keys(require.cache));
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ws-"));
    const fake = fakeVscode({ workspaceFolder: ws });
    // Loaded here, after the snapshot, so what activation pulls in can be seen.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlowlineExtension } = require("../../src/extension/flowline-extension") as typeof import("../../src/extension/flowline-extension");
    const extension = new FlowlineExtension(fake.vscode, fakeContext(path.resolve(__dirname, "../..")));
    const loaded = Object.keys(require.cache).filter((k) => !before.has(k));
    assert.deepEqual(loaded.filter((k) => /[\\/]sql\.js[\\/]|[\\/]src[\\/]store[\\/]/.test(k)), []);
    for (const id of ["runFlow", "runFlowWithParameters", "rerunLastFlowRun", "cancelFlowRun", "openResult", "openStorageFolder", "refresh", "showLogs"]) {
      assert.ok(fake.commands.has(`flowline.${id}`), id);
    }
    // Every command it registers is declared in the manifest (VS Code shows undeclared ones nowhere, and
    // a keybinding or menu cannot name them), and every declared one is registered.
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8"));
    const declared = (manifest.contributes.commands as Array<{ command: string }>).map((c) => c.command).sort();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { registerArtifacts } = require("../../src/extension/artifacts") as typeof import("../../src/extension/artifacts");
    registerArtifacts(fake.vscode, fakeContext(path.resolve(__dirname, "../..")), extension.services);
    assert.deepEqual([...fake.commands.keys()].filter((id) => id.startsWith("flowline.")).sort(), declared);
    assert.equal(fake.lensProviders.length, 1);
    assert.equal(typeof extension.services.store.get, "function");
    fs.rmSync(ws, { recursive: true, force: true });
  });

  it("refuses to run in Restricted Mode, with a message that says why", async () => {
    const fake = fakeVscode({ trusted: false, workspaceFolder: os.tmpdir() });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlowlineExtension } = require("../../src/extension/flowline-extension") as typeof import("../../src/extension/flowline-extension");
    new FlowlineExtension(fake.vscode, fakeContext(path.resolve(__dirname, "../..")));
    await fake.commands.get("flowline.runFlow")?.({ file: "/ws/f.ts", target: "a", label: "a", defaults: {}, names: [], open: false });
    assert.equal(fake.messages.length, 1);
    assert.match(fake.messages[0].text, /does not run flows in Restricted Mode/);
    assert.deepEqual(fake.messages[0].actions, ["Manage Workspace Trust"]);
  });

  it("flowline.retentionDays reaches the window's store as its option, and follows a change; the host's environment is left alone", async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ws-"));
    const journal = path.join(ws, ".flowline", "journal");
    fs.mkdirSync(journal, { recursive: true });
    const day = 86_400_000;
    const runEvents = (id: string, daysAgo: number) => {
      const ts = new Date(Date.now() - daysAgo * day).toISOString();
      return [
        { e: "flow_run", id, name: id, flowName: "f", parameters: {}, tags: [], created: ts, expectedStartTime: ts, pid: 1 },
        { e: "state", kind: "flow", id, type: "Completed", name: "Completed", ts },
      ];
    };
    // A closed journal of a process that is gone, as a run in a terminal leaves it.
    const lines = [...runEvents("old", 40), ...runEvents("recent", 1), { e: "close", ts: new Date().toISOString() }];
    fs.writeFileSync(path.join(journal, "1-retention.ndjson"), lines.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const settings: Record<string, unknown> = { retentionDays: 0, warmStart: false };
    const fake = fakeVscode({ workspaceFolder: ws, settings });
    const context = fakeContext(path.resolve(__dirname, "../..")) as { subscriptions: Array<{ dispose(): unknown }> };
    const envBefore = process.env.FLOWLINE_RETENTION_DAYS;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlowlineExtension } = require("../../src/extension/flowline-extension") as typeof import("../../src/extension/flowline-extension");
    const extension = new FlowlineExtension(fake.vscode, context as never);
    try {
      const ids = async () => (await (await extension.store.get()).listFlowRuns()).map((r) => r.id).sort();
      await extension.store.sync();
      assert.deepEqual(await ids(), ["old", "recent"], "0 keeps everything");
      settings.retentionDays = 30;
      fake.fireConfigurationChange("flowline");
      await extension.store.sync();
      assert.deepEqual(await ids(), ["recent"]);
      assert.equal(process.env.FLOWLINE_RETENTION_DAYS, envBefore);
    } finally {
      for (const d of context.subscriptions) d.dispose();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });
});
