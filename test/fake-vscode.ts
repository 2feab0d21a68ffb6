// The one stand-in for the vscode module: enough of it for Flowline's extension code to run in plain Node
// (the extension gets vscode through its constructors, so tests and benches hand it this). It records what
// the extension registers, shows and asks, and answers questions from `respond` or, in order, `answers`.
import * as path from "node:path";
import { StoreService, type StoreServiceOptions } from "../src/extension/store-service";
import type { VSCode } from "../src/extension/vscode-types";

type Listener<T> = (value: T) => void;

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    this.start = typeof a === "number" ? new Position(a, b as number) : a;
    this.end = typeof a === "number" ? new Position(c as number, d as number) : (b as Position);
  }
}

export class Diagnostic {
  source?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: number,
  ) {}
}

class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string },
  ) {}
}

class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  isTrusted = false;
  supportHtml = false;
  constructor(public value = "") {}
  appendMarkdown(s: string): this {
    this.value += s;
    return this;
  }
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: MarkdownString | string;
  iconPath?: ThemeIcon;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  accessibilityInformation?: { label: string };
  constructor(
    readonly label: string,
    readonly collapsibleState = 0,
  ) {}
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = "",
    /** The text a parsed URI came from, kept whole (this stand-in does not take URLs apart). */
    private readonly text?: string,
  ) {}
  static file(p: string): Uri {
    return new Uri("file", path.resolve(p));
  }
  static from(c: { scheme: string; path: string; query?: string }): Uri {
    return new Uri(c.scheme, c.path, c.query);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(":")[0], s, "", s);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.path, ...parts));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return this.text ?? `${this.scheme}://${this.path}${this.query ? `?${this.query}` : ""}`;
  }
}

/** A webview panel: records posts, lets a test post as the webview would. */
export class FakePanel {
  readonly posted: { type: string; [k: string]: unknown }[] = [];
  visible = true;
  disposed = false;
  private readonly received = new EventEmitter<unknown>();
  private readonly viewState = new EventEmitter<void>();
  private readonly disposeEmitter = new EventEmitter<void>();
  readonly webview = {
    options: {} as { localResourceRoots?: Uri[] },
    html: "",
    cspSource: "https://csp.test",
    asWebviewUri: (u: Uri) => `https://csp.test${u.fsPath}`,
    postMessage: async (m: { type: string }) => {
      if (this.visible && !this.disposed) this.posted.push(m);
      return true;
    },
    onDidReceiveMessage: this.received.event,
  };
  readonly onDidChangeViewState = this.viewState.event;
  readonly onDidDispose = this.disposeEmitter.event;
  constructor(public title: string) {}
  reveal(): void {}
  /** As if the webview posted this. */
  receive(message: unknown): void {
    this.received.fire(message);
  }
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.viewState.fire();
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeEmitter.fire();
  }
  types(): string[] {
    return this.posted.map((m) => m.type);
  }
}

export interface FakeOptions {
  trusted?: boolean;
  workspaceFolder?: string;
  settings?: Record<string, unknown>;
  /** What the user clicks on a message (an action's title), if anything. */
  respond?: (message: { level: string; text: string; actions: string[] }) => string | undefined;
}

export type FakeVscode = ReturnType<typeof fakeVscode>;

export function fakeVscode(options: FakeOptions = {}) {
  const disposable = { dispose() {} };
  const trustGranted = new EventEmitter<void>();
  const config = new EventEmitter<{ affectsConfiguration(s: string): boolean }>();
  const settings = options.settings ?? {};
  const f = {
    vscode: undefined as unknown as VSCode,
    commands: new Map<string, (...args: unknown[]) => unknown>(),
    /** The messages shown, in order. */
    messages: [] as Array<{ level: "error" | "info" | "warning"; text: string; actions: string[] }>,
    /** What the extension wrote to its output channels. */
    output: [] as string[],
    /** The diagnostics set, by file. */
    diagnostics: new Map<string, Diagnostic[]>(),
    /** The files showTextDocument opened. */
    opened: [] as string[],
    /** Settings the extension changed: getConfiguration(section).update(key, value, target). */
    updates: [] as Array<{ key: string; value: unknown; target: unknown }>,
    lensProviders: [] as unknown[],
    /** Answers to showWarningMessage, showQuickPick and showSaveDialog, in order (after `respond`). */
    answers: [] as unknown[],
    /** Every question, message, command and write the extension asked of VS Code, in order. */
    calls: [] as { api: string; args: unknown[] }[],
    panels: [] as FakePanel[],
    workspaceFolders: options.workspaceFolder ? [options.workspaceFolder] : ([] as string[]),
    /** Makes the panels createWebviewPanel returns (a test can put a real browser behind them). */
    makePanel: (title: string): FakePanel => new FakePanel(title),
    grantTrust() {
      workspace.isTrusted = true;
      trustGranted.fire();
    },
    /** As if the user changed a setting in `section` (change `options.settings` first). */
    fireConfigurationChange(section: string) {
      config.fire({ affectsConfiguration: (s: string) => s === section || section.startsWith(`${s}.`) });
    },
    document(file: string, text: string, version = 1) {
      return { uri: Uri.file(file), fileName: path.resolve(file), version, getText: () => text } as never;
    },
  };
  const record = (api: string, answer = false) => async (...args: unknown[]) => {
    f.calls.push({ api, args });
    return answer ? f.answers.shift() : undefined;
  };
  const say = (level: "error" | "info" | "warning", api: string, answer = false) => async (text: string, ...rest: unknown[]) => {
    // A modal options object may come first, as in VS Code.
    const m = { level, text, actions: rest.filter((a): a is string => typeof a === "string") };
    f.messages.push(m);
    const asked = await record(api, answer && !options.respond)(text, ...rest);
    return options.respond?.(m) ?? asked;
  };
  const folders = () => f.workspaceFolders.map((p, index) => ({ uri: Uri.file(p), name: path.basename(p), index }));
  const workspace = {
    isTrusted: options.trusted ?? true,
    get workspaceFolders() {
      return f.workspaceFolders.length ? folders() : undefined;
    },
    textDocuments: [] as unknown[],
    getWorkspaceFolder: (uri: Uri) => folders().find((folder) => uri.fsPath.startsWith(folder.uri.fsPath)),
    getConfiguration: (section?: string) => ({
      get: (key: string) => settings[key],
      update: async (key: string, value: unknown, target: unknown) => {
        f.updates.push({ key: section ? `${section}.${key}` : key, value, target });
        settings[key] = value;
      },
    }),
    onDidGrantWorkspaceTrust: trustGranted.event,
    onDidChangeConfiguration: config.event,
    onDidCloseTextDocument: () => disposable,
    onDidChangeWorkspaceFolders: () => disposable,
    registerTextDocumentContentProvider: () => disposable,
    findFiles: async () => [],
    fs: { writeFile: record("workspace.fs.writeFile") },
  };
  const channel = (name: string) => ({
    name,
    show() {},
    dispose() {},
    ...Object.fromEntries(["trace", "debug", "info", "warn", "error", "appendLine"].map((level) => [level, (m: string) => f.output.push(`[${level}] ${m}`)])),
  });
  const vscode = {
    EventEmitter,
    Position,
    Range,
    CodeLens,
    ThemeColor,
    ThemeIcon,
    MarkdownString,
    TreeItem,
    Uri,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { Notification: 15 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    ViewColumn: { Active: -1 },
    workspace,
    languages: {
      registerCodeLensProvider: (_s: unknown, p: unknown) => (f.lensProviders.push(p), disposable),
      createDiagnosticCollection: () => ({ set: (uri: Uri, d: Diagnostic[]) => void f.diagnostics.set(uri.fsPath, d), dispose() {} }),
    },
    Diagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => (f.commands.set(id, fn), { dispose: () => f.commands.delete(id) }),
      getCommands: async () => [...f.commands.keys()],
      executeCommand: async (id: string, ...args: unknown[]) => {
        f.calls.push({ api: "executeCommand", args: [id, ...args] });
        return f.commands.get(id)?.(...args);
      },
    },
    env: { openExternal: record("openExternal"), clipboard: { writeText: record("clipboard.writeText") } },
    window: {
      createOutputChannel: channel,
      createTreeView: () => ({ visible: false, selection: [], onDidChangeVisibility: () => disposable, reveal: async () => undefined, dispose() {} }),
      registerWebviewPanelSerializer: () => disposable,
      createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
      createWebviewPanel: (_type: string, title: string) => {
        const p = f.makePanel(title);
        f.panels.push(p);
        return p;
      },
      withProgress: async (_o: unknown, task: (p: unknown, t: unknown) => unknown) =>
        task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: () => disposable }),
      showErrorMessage: say("error", "showErrorMessage"),
      showInformationMessage: say("info", "showInformationMessage"),
      showWarningMessage: say("warning", "showWarningMessage", true),
      showQuickPick: record("showQuickPick", true),
      showSaveDialog: record("showSaveDialog", true),
      showInputBox: async () => undefined,
      showTextDocument: async (uri: Uri) => void f.opened.push(uri.fsPath),
      setStatusBarMessage: (...args: unknown[]) => f.calls.push({ api: "setStatusBarMessage", args }),
      activeTextEditor: undefined,
    },
  };
  f.vscode = vscode as unknown as VSCode;
  return f;
}

export function fakeContext(extensionPath: string) {
  const state = new Map<string, unknown>();
  return {
    subscriptions: [] as Array<{ dispose(): unknown }>,
    extensionPath,
    extensionUri: { fsPath: extensionPath },
    workspaceState: { get: (k: string, d?: unknown) => (state.has(k) ? state.get(k) : d), update: async (k: string, v: unknown) => void state.set(k, v) },
  } as never;
}

// From __filename: tsx gives an ESM importer (bench/extension-scale.mjs) this module without a __dirname.
const REPO = path.resolve(path.dirname(__filename), "..");

/**
 * The extension's store service over a real store in a real worker thread: the built dist/store-worker.js,
 * as the extension starts it (call ensureBuilt() from test/unit/helpers/build first).
 */
export function testStoreService(home: () => string, options: Partial<StoreServiceOptions> = {}): StoreService {
  return new StoreService({
    home,
    workerFile: path.join(REPO, "dist", "store-worker.js"),
    wasmPath: path.join(REPO, "dist", "sql-wasm.wasm"),
    onWarning: () => undefined,
    ...options,
  });
}
