import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../engine/errors";
import type { FlowParameters } from "../engine/parameter-specs";
import { storageDir } from "../shared/home";
import type { FlowRun } from "../store/types";
import type { FlowLensArgs } from "./codelens";
import { debugFlow } from "./debug-flow";
import type { Disposable } from "./emitter";
import { writeExampleFlow } from "./example-flow";
import { findFlows } from "./flow-finder";
import { logsUri } from "./logs-document";
import { parametersPrefill, parametersPrompt, parseParameters, validateParameters } from "./parameters";
import { RefusedError, type RunManager, type RunSpec } from "./run-manager";
import type { RunNode } from "./runs-tree";
import { projectFile, resultFile } from "./safe-paths";
import type { StoreService } from "./store-service";
import type { TypesSetUp } from "./types-setup";
import type { ExtensionContext, LogOutputChannel, Uri, VSCode } from "./vscode-types";
import { findWorkspaceFlows } from "./workspace-flows";

// The Flowline commands (category "Flowline" in package.json). Each works from the palette (asking what
// it needs with a quick pick) and from its callers: a lens passes FlowLensArgs, the tree passes its node,
// the explorer a file Uri, the status bar `{ runId }`.

export interface CommandDeps {
  vscode: VSCode;
  context: ExtensionContext;
  runs: RunManager;
  store: StoreService;
  output: LogOutputChannel;
  refreshTree(): void;
  /** The types set-up (`flowline.setUpTypes`); absent in tests that do not need it. */
  types?: TypesSetUp;
  /** The folders a flow file from the database may be in (projectFolders in safe-paths.ts). */
  projectFolders(): string[];
  /** The run selected in the Flow Runs tree, if any (Show Logs from the palette opens its log). */
  selectedRun?(): RunNode | undefined;
}

type RunArg = FlowLensArgs | Uri | RunNode | undefined;

export function registerCommands(deps: CommandDeps): Disposable[] {
  const { vscode, runs, store, output } = deps;
  const { window, commands } = vscode;
  const PARAMS_KEY = "flowline.lastParameters";

  /** Run what the editor shows: an unsaved flow file is saved first. */
  const saveFile = async (file: string): Promise<void> => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === "file" && d.fileName === file);
    if (doc?.isDirty) await doc.save();
  };

  const showRefused = async (err: RefusedError): Promise<void> => {
    const trust = vscode.workspace.isTrusted ? [] : ["Manage Workspace Trust"];
    const picked = await window.showErrorMessage(`Flowline: ${err.message}`, ...trust);
    if (picked) await commands.executeCommand("workbench.trust.manage");
  };

  const startRun = async (spec: RunSpec): Promise<void> => {
    await saveFile(spec.file);
    try {
      runs.start(spec);
    } catch (err) {
      if (!(err instanceof RefusedError)) throw err;
      await showRefused(err);
    }
  };

  /** The flow's parameters as the engine reads them, from a flow process that loads its file (saved first). */
  const parametersOf = async (flow: FlowLensArgs): Promise<FlowParameters | undefined> => {
    await saveFile(flow.file);
    try {
      const title = `Flowline: reading the parameters of '${flow.label}'…`;
      return (await window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => runs.describe(flow))).selected.parameters;
    } catch (err) {
      if (err instanceof RefusedError) return void (await showRefused(err));
      if (!(err instanceof UserError)) throw err;
      void window.showErrorMessage(`Flowline: cannot run '${flow.label}': ${err.message}`);
      return undefined;
    }
  };

  /** The flow a command is about: from a lens, a file, or a quick pick of the workspace's flows. */
  const pickFlow = async (arg: RunArg, title: string): Promise<FlowLensArgs | undefined> => {
    if (arg && "target" in arg && "file" in arg) return arg;
    let candidates: FlowLensArgs[];
    if (arg && "scheme" in arg && "fsPath" in arg) {
      const text = (await vscode.workspace.openTextDocument(arg)).getText();
      candidates = findFlows(text, arg.fsPath).map((f) => lensArgs(arg.fsPath, f));
      if (candidates.length === 1) return candidates[0];
      if (candidates.length === 0) {
        void window.showInformationMessage(`Flowline: ${path.basename(arg.fsPath)} defines no flow (a flow(...) call from "flowline").`);
        return undefined;
      }
    } else {
      candidates = (await findWorkspaceFlows(vscode)).map((w) => lensArgs(w.file, w.flow));
      // The active editor's flows first.
      const active = window.activeTextEditor?.document.fileName;
      candidates.sort((a, b) => Number(b.file === active) - Number(a.file === active));
    }
    if (candidates.length === 0) {
      void window.showInformationMessage('Flowline: no flows found in this workspace. A flow is `export const myFlow = flow(async () => { … })` with `import { flow } from "flowline"`.');
      return undefined;
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const items = candidates.map((c) => ({ label: c.label, description: flowWhere(c, root), args: c }));
    return (await window.showQuickPick(items, { title, placeHolder: "Pick a flow to run", matchOnDescription: true }))?.args;
  };

  const runFlow = async (arg?: RunArg) => {
    const flow = await pickFlow(arg, "Flowline: Run Flow");
    if (flow) await startRun({ file: flow.file, target: flow.target, label: flow.label, parameters: {} });
  };

  /** ▶ Debug flow: the run of runFlow, under VS Code's JavaScript debugger (debug-flow.ts). */
  const debugFlowCommand = async (arg?: RunArg) => {
    const flow = await pickFlow(arg, "Flowline: Debug Flow");
    if (!flow) return;
    await saveFile(flow.file);
    try {
      await debugFlow(vscode, runs, { file: flow.file, target: flow.target, label: flow.label, parameters: {} }, output, deps.context.extensionPath);
    } catch (err) {
      if (!(err instanceof RefusedError)) throw err;
      await showRefused(err);
    }
  };

  const runFlowWithParameters = async (arg?: RunArg) => {
    const flow = await pickFlow(arg, "Flowline: Run Flow with Parameters");
    if (!flow) return;
    const params = await parametersOf(flow);
    if (!params) return;
    const key = `${flow.file}#${flow.target}`;
    const remembered = deps.context.workspaceState.get<Record<string, Record<string, unknown>>>(PARAMS_KEY, {});
    const text = await window.showInputBox({
      title: `Run flow '${flow.label}' with parameters`,
      value: parametersPrefill(params, remembered[key]),
      prompt: parametersPrompt(params),
      ignoreFocusOut: true,
      validateInput: (t) => validateParameters(t, params),
    });
    if (text === undefined) return;
    const parameters = parseParameters(text);
    await deps.context.workspaceState.update(PARAMS_KEY, { ...remembered, [key]: parameters });
    await startRun({ file: flow.file, target: flow.target, label: flow.label, parameters });
  };

  const rerunLast = async (node?: RunNode) => {
    let spec: RunSpec | undefined;
    let stored: FlowRun | undefined;
    if (node?.kind === "flowRun") stored = node.run;
    else if (!runs.lastSpec) stored = (await (await store.peek())?.listFlowRuns({ limit: 20, topLevel: true }))?.find((r) => r.file);
    if (stored?.file) {
      // A stored run's file is data: it is read and run only from inside the project.
      const file = projectFile(stored.file, deps.projectFolders(), `The file of flow run '${stored.name}'`);
      if ("refused" in file) return void window.showErrorMessage(`Flowline: cannot rerun '${stored.flowName}': ${file.refused}`);
      spec = specOf(stored);
    }
    spec ??= runs.lastSpec;
    if (!spec) {
      void window.showInformationMessage("Flowline: there is no flow run to rerun yet. Run a flow first (Flowline: Run Flow…).");
      return;
    }
    if (!fs.existsSync(spec.file)) {
      void window.showErrorMessage(`Flowline: cannot rerun '${spec.label}': its file ${spec.file} is gone.`);
      return;
    }
    await startRun(spec);
  };

  const cancel = async (arg?: { runId: number } | RunNode) => {
    let run = arg && "runId" in arg ? runs.active().find((r) => r.id === arg.runId) : undefined;
    if (arg && "kind" in arg && arg.kind === "flowRun") {
      run = runs.byFlowRunId(arg.run.id);
      if (!run) {
        void window.showInformationMessage(`Flowline: flow run '${arg.run.name}' was not started in this window${arg.run.pid ? ` (its process is ${arg.run.pid})` : ""}; cancel it where it was started.`);
        return;
      }
    }
    if (!run && !arg) {
      const active = runs.active();
      if (active.length === 0) return void window.showInformationMessage("Flowline: no flow run is running in this window.");
      run = active.length === 1 ? active[0] : (await window.showQuickPick(active.map((r) => ({ label: r.spec.label, description: r.flowRunName ?? "", run: r })), { title: "Cancel Flow Run" }))?.run;
    }
    if (!run) return;
    if (run.cancelRequested) {
      const stop = await window.showWarningMessage(`Flow '${run.spec.label}' is being cancelled. Stop its processes now?`, "Stop Now");
      if (stop) run.kill();
      return;
    }
    run.cancel();
  };

  const openResult = async (node?: RunNode) => {
    let key: string | undefined;
    if (node && (node.kind === "flowRun" || node.kind === "taskRun")) key = node.run.resultKey;
    else {
      // The latest 30 flow runs and their first task runs, looked through in the store's worker.
      const results = (await (await store.peek())?.recentResults(30, 500)) ?? [];
      const picks = results.map((r) => ({ label: r.name, description: `${r.what} · ${r.resultKey}`, key: r.resultKey }));
      if (picks.length === 0) return void window.showInformationMessage("Flowline: no stored results yet. A task or flow with persistResult: true stores one.");
      key = (await window.showQuickPick(picks, { title: "Open Result", matchOnDescription: true }))?.key;
      if (!key) return;
    }
    if (!key) return void window.showInformationMessage("Flowline: this run has no stored result (its result was not persisted).");
    // The key is data: it opens through the resolver results are written with, or not at all.
    const file = resultFile(store.home, key);
    if ("refused" in file) return void window.showErrorMessage(`Flowline: not opening the result: ${file.refused}`);
    await window.showTextDocument(vscode.Uri.file(file.path), { preview: true });
  };

  const openStorageFolder = async () => {
    const dir = storageDir(store.home);
    if (!fs.existsSync(dir)) return void window.showInformationMessage(`Flowline: no results stored yet (they go to ${dir}).`);
    const uri = vscode.Uri.file(dir);
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    await commands.executeCommand(inWorkspace ? "revealInExplorer" : "revealFileInOS", uri);
  };

  /** A run's stored log (a tree row, else the row selected, else this window's last run); else the Output. */
  const showLogs = async (arg?: RunNode) => {
    const node = arg && "kind" in arg ? arg : deps.selectedRun?.();
    if (node && node.kind === "flowRun") return void (await window.showTextDocument(logsUri(vscode, node.run.id, node.run.name), { preview: true }));
    if (node && node.kind === "taskRun") return void (await window.showTextDocument(logsUri(vscode, node.run.flowRunId, node.run.name, node.run.id), { preview: true }));
    const last = runs.lastSpec && runs.lastOutcome(runs.lastSpec);
    if (last?.flowRunId) return void (await window.showTextDocument(logsUri(vscode, last.flowRunId, last.flowRunName ?? last.spec.label), { preview: true }));
    output.show(false);
    window.setStatusBarMessage("Flowline: no run selected; the Output shows the live logs of runs started here", 5000);
  };

  const refresh = async () => {
    await store.sync();
    deps.refreshTree();
    window.setStatusBarMessage("$(check) Flowline: runs and artifacts re-read", 3000);
  };

  const setUpTypes = async () => {
    await deps.types?.run();
  };

  /** Writes a starter flow (never overwriting), opens it, and sets up the types it imports. */
  const createExampleFlow = async () => {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) return void window.showInformationMessage("Flowline: open a folder first; the example flow is written into it.");
    const file = writeExampleFlow(root);
    if (vscode.workspace.isTrusted) await deps.types?.run({ quiet: true });
    await window.showTextDocument(vscode.Uri.file(file), { preview: false });
    void window.showInformationMessage(`Flowline: wrote ${path.relative(root, file)}. Click "▶ Run flow" above exampleFlow to run it.`);
  };

  const register = (id: string, fn: (...args: never[]) => unknown) =>
    commands.registerCommand(id, async (...args: never[]) => {
      try {
        await fn(...args);
      } catch (err) {
        output.error(`${id} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        void window.showErrorMessage(`Flowline: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  return [
    register("flowline.runFlow", runFlow),
    register("flowline.runFlowWithParameters", runFlowWithParameters),
    register("flowline.debugFlow", debugFlowCommand),
    register("flowline.rerunLastFlowRun", rerunLast),
    register("flowline.rerunFlowRun", rerunLast),
    register("flowline.cancelFlowRun", cancel),
    register("flowline.openResult", openResult),
    register("flowline.openStorageFolder", openStorageFolder),
    register("flowline.refresh", refresh),
    register("flowline.showLogs", showLogs),
    register("flowline.setUpTypes", setUpTypes),
    register("flowline.createExampleFlow", createExampleFlow),
  ];
}

function lensArgs(file: string, flow: ReturnType<typeof findFlows>[number]): FlowLensArgs {
  return { file, target: flow.target, label: flow.label, ...(flow.detail ? { detail: flow.detail } : {}) };
}

/** Where a flow is, for a pick: `examples/hello_world.ts › myFlow` (its export, when not its name). */
export function flowWhere(flow: FlowLensArgs, root: string | undefined): string {
  const file = root ? path.relative(root, flow.file) : flow.file;
  return flow.detail ? `${file} › ${flow.detail}` : file;
}

/**
 * Rerun a stored flow run: same file, same flow, same parameters. The flow is selected by its name; when
 * the file still defines it where a lens shows it, the lens's target is used, so the lens follows the run.
 */
function specOf(run: FlowRun): RunSpec | undefined {
  if (!run.file) return undefined;
  const parameters = run.parameters && typeof run.parameters === "object" && !Array.isArray(run.parameters) ? (run.parameters as Record<string, unknown>) : {};
  let found: ReturnType<typeof findFlows>[number] | undefined;
  try {
    found = findFlows(fs.readFileSync(run.file, "utf8"), run.file).find((f) => f.flowName === run.flowName || (f.flowName === undefined && f.exportName === run.flowName));
  } catch {
    // the file is gone: the caller says so
  }
  return { file: run.file, target: found?.target ?? run.flowName, label: found?.label ?? run.flowName, parameters };
}
