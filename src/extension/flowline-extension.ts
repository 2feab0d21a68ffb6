import * as path from "node:path";
import { storageDir } from "../shared/home";
import { FlowCodeLensProvider } from "./codelens";
import { registerCommands } from "./commands";
import { HomeSizeMonitor } from "./home-size";
import { registerLogsDocuments } from "./logs-document";
import { RunDiagnostics } from "./run-diagnostics";
import { RunManager } from "./run-manager";
import { RunUi } from "./run-ui";
import { projectFolders } from "./safe-paths";
import { RUNS_CLICK_COMMAND, RunsTreeProvider, type RunNode } from "./runs-tree";
import { goToTaskRunError } from "./task-run-error";
import { RUNS_VIEW_ID, type ExtensionServices } from "./services";
import { readSettings, resolveHomeFolder, resolveNodeRuntime, runEnvironment, teamDatabaseUrl, type Settings } from "./settings";
import { StoreService } from "./store-service";
import { registerTreeClick } from "./tree-click";
import { TypesSetUp } from "./types-setup";
import type { ExtensionContext, LogOutputChannel, TreeView, VSCode } from "./vscode-types";

// Wires the extension together. Receives the vscode module from extension.ts (the only file that
// requires it). Activation only creates objects and registers providers: the store (sql.js) loads when
// a view shows runs or a run starts.

const LANGUAGES = ["typescript", "typescriptreact", "javascript", "javascriptreact"];
/** The longest the Output panel waits for a started run's Running row in the Flow Runs tree. */
const ROW_WAIT_MS = 1000;

export class FlowlineExtension {
  readonly services: ExtensionServices;
  readonly output: LogOutputChannel;
  readonly store: StoreService;
  readonly runs: RunManager;
  private settingsCache: Settings | undefined;
  // Finding the home walks the folders up: once per window, again when settings or folders change.
  private homeCache: string | undefined;
  private readonly tree: RunsTreeProvider;
  private readonly treeView: TreeView<RunNode>;

  constructor(
    private readonly vscode: VSCode,
    context: ExtensionContext,
  ) {
    const { window, workspace, languages } = vscode;
    const sub = (...d: Array<{ dispose(): unknown }>) => context.subscriptions.push(...d);
    this.output = window.createOutputChannel("Flowline", { log: true });
    // The store runs in a worker thread started from the bundle next to extension.js.
    const dist = path.join(context.extensionPath, "dist");
    this.store = new StoreService({
      home: () => this.home,
      workerFile: path.join(dist, "store-worker.js"),
      wasmPath: path.join(dist, "sql-wasm.wasm"),
      retentionDays: () => this.settings.retentionDays,
      databaseUrl: () => teamDatabaseUrl(this.settings),
      onWarning: (m) => this.output.warn(m),
    });
    this.runs = new RunManager({
      environment: (spec) => {
        const settings = this.settings;
        const folder = workspace.getWorkspaceFolder(vscode.Uri.file(spec.file))?.uri.fsPath;
        return {
          home: this.home,
          node: resolveNodeRuntime(settings.nodePath),
          env: runEnvironment(settings),
          cancelGraceSeconds: settings.cancelGraceSeconds,
          cwd: folder ?? path.dirname(spec.file),
        };
      },
      store: this.store,
      log: this.output,
      flowlineDirs: [context.extensionPath],
      isTrusted: () => workspace.isTrusted,
      warmStart: () => this.settings.warmStart,
    });
    const errorDeps = { vscode, store: this.store, flowlineDirs: [context.extensionPath], projectFolders: () => projectFolders(vscode, this.home) };
    this.tree = new RunsTreeProvider(vscode, this.store, this.runs, () => this.settings.runsLimit, (run) => goToTaskRunError(errorDeps, run));
    // The click command is registered before the view exists, so no item can be clicked unregistered.
    sub(registerTreeClick(vscode, RUNS_CLICK_COMMAND, () => this.treeView, this.tree.reads, (node: RunNode) => this.tree.click(node)));
    this.treeView = window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: this.tree, showCollapseAll: true });
    const codeLens = new FlowCodeLensProvider(vscode, this.runs, () => this.settings.codeLensEnabled);
    const types = new TypesSetUp(vscode, context, { home: () => this.home, output: this.output });
    sub(
      this.output,
      this.store,
      this.runs,
      this.tree,
      this.treeView,
      codeLens,
      new RunDiagnostics(vscode, this.runs),
      new HomeSizeMonitor(vscode, this.store, { view: this.treeView, workspaceState: context.workspaceState, retentionDays: () => this.settings.retentionDays }),
      // The run's row first: the Output panel opens once the Flow Runs tree has shown it (runs-tree.ts, listed()).
      new RunUi(vscode, this.runs, this.output, () => this.settings, () => projectFolders(vscode, this.home), (run) => (this.treeView.visible ? this.tree.listed(run.id, ROW_WAIT_MS) : Promise.resolve())),
      languages.registerCodeLensProvider(LANGUAGES.map((language) => ({ language, scheme: "file" })), codeLens),
      registerLogsDocuments(vscode, this.store),
      ...registerCommands({ vscode, context, runs: this.runs, store: this.store, output: this.output, refreshTree: () => this.tree.refresh(), types, projectFolders: () => projectFolders(vscode, this.home), selectedRun: () => this.treeView.selection[0] }),
      ...types.register(),
      // A shown tree follows the database from then on (journals of terminal runs included).
      this.treeView.onDidChangeVisibility((e) => e.visible && this.store.watch()),
      workspace.onDidCloseTextDocument((d) => codeLens.forget(d)),
      workspace.onDidGrantWorkspaceTrust(() => codeLens.refresh()),
      workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration("flowline")) return;
        const before = this.home;
        const beforeUrl = teamDatabaseUrl(this.settings);
        this.settingsCache = undefined;
        this.homeCache = undefined;
        codeLens.refresh();
        if (this.home !== before || teamDatabaseUrl(this.settings) !== beforeUrl) this.store.homeChanged();
        else this.tree.refresh();
      }),
      workspace.onDidChangeWorkspaceFolders(() => {
        this.homeCache = undefined;
        this.store.homeChanged();
      }),
    );
    if (this.treeView.visible) this.store.watch();

    const self = this;
    this.services = {
      get home() {
        return self.home;
      },
      get storageDir() {
        return storageDir(self.home);
      },
      store: this.store,
      output: this.output,
      revealRun: (flowRunId, taskRunId) => this.revealRun(flowRunId, taskRunId),
      isTrusted: () => workspace.isTrusted,
    };
  }

  get settings(): Settings {
    return (this.settingsCache ??= readSettings((key) => this.vscode.workspace.getConfiguration("flowline").get(key)));
  }

  get home(): string {
    return (this.homeCache ??= resolveHomeFolder(this.settings, this.vscode.workspace.workspaceFolders?.[0]?.uri.fsPath));
  }

  private async revealRun(flowRunId: string, taskRunId?: string): Promise<void> {
    const node = await this.tree.nodeFor(flowRunId, taskRunId);
    await this.treeView.reveal(node, { select: true, focus: true, expand: node.kind === "flowRun" });
  }
}
