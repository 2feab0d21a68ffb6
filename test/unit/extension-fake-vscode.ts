// A small fake of the vscode module: enough of it for Flowline's extension code to run in plain Node
// (the extension gets vscode through its constructors, so tests hand it this). It records what the
// extension registers and shows, so tests can assert on it.
import * as path from "node:path";
import { StoreService, type StoreServiceOptions } from "../../src/extension/store-service";
import type { VSCode } from "../../src/extension/vscode-types";

type Listener<T> = (e: T) => void;

function event<T>() {
  const listeners = new Set<Listener<T>>();
  const on = (l: Listener<T>) => {
    listeners.add(l);
    return { dispose: () => listeners.delete(l) };
  };
  return { on, fire: (e: T) => listeners.forEach((l) => l(e)) };
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
class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string },
  ) {}
}
class ThemeColor {
  constructor(readonly id: string) {}
}
class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
class MarkdownString {
  constructor(readonly value = "") {}
}
class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  iconPath?: unknown;
  contextValue?: string;
  command?: unknown;
  accessibilityInformation?: { label: string };
  constructor(
    readonly label: string,
    readonly collapsibleState = 0,
  ) {}
}
class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = "",
  ) {}
  static file(p: string): Uri {
    return new Uri("file", path.resolve(p));
  }
  static from(c: { scheme: string; path: string; query?: string }): Uri {
    return new Uri(c.scheme, c.path, c.query);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}${this.query ? `?${this.query}` : ""}`;
  }
}

export interface FakeOptions {
  trusted?: boolean;
  workspaceFolder?: string;
  settings?: Record<string, unknown>;
  /** What the user clicks on a message (an action's title), if anything. */
  respond?: (message: { level: string; text: string; actions: string[] }) => string | undefined;
}

export function fakeVscode(options: FakeOptions = {}) {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const messages: Array<{ level: "error" | "info" | "warning"; text: string; actions: string[] }> = [];
  const output: string[] = [];
  /** The files showTextDocument opened. */
  const opened: string[] = [];
  /** Settings the extension changed: getConfiguration(section).update(key, value, target). */
  const updates: Array<{ key: string; value: unknown; target: unknown }> = [];
  const say = (level: "error" | "info" | "warning") => async (text: string, ...actions: unknown[]) => {
    // A modal options object may come first, as in VS Code.
    const m = { level, text, actions: actions.filter((a): a is string => typeof a === "string") };
    messages.push(m);
    return options.respond?.(m);
  };
  const lensProviders: unknown[] = [];
  const trustGranted = event<void>();
  const config = event<{ affectsConfiguration(s: string): boolean }>();
  const disposable = { dispose() {} };
  const folder = options.workspaceFolder ? { uri: Uri.file(options.workspaceFolder), name: "ws", index: 0 } : undefined;
  const settings = options.settings ?? {};
  const workspace = {
    isTrusted: options.trusted ?? true,
    workspaceFolders: folder ? [folder] : undefined,
    textDocuments: [] as unknown[],
    getWorkspaceFolder: (uri: Uri) => (folder && uri.fsPath.startsWith(folder.uri.fsPath) ? folder : undefined),
    getConfiguration: (section?: string) => ({
      get: (key: string) => settings[key],
      update: async (key: string, value: unknown, target: unknown) => {
        updates.push({ key: section ? `${section}.${key}` : key, value, target });
        settings[key] = value;
      },
    }),
    onDidGrantWorkspaceTrust: trustGranted.on,
    onDidChangeConfiguration: config.on,
    onDidCloseTextDocument: () => disposable,
    onDidChangeWorkspaceFolders: () => disposable,
    registerTextDocumentContentProvider: () => disposable,
    findFiles: async () => [],
  };
  const channel = (name: string) => ({
    name,
    show() {},
    dispose() {},
    ...Object.fromEntries(["trace", "debug", "info", "warn", "error", "appendLine"].map((level) => [level, (m: string) => output.push(`[${level}] ${m}`)])),
  });
  const vscode = {
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
    workspace,
    languages: { registerCodeLensProvider: (_s: unknown, p: unknown) => (lensProviders.push(p), disposable) },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => (commands.set(id, fn), { dispose: () => commands.delete(id) }),
      getCommands: async () => [...commands.keys()],
      executeCommand: async (id: string, ...args: unknown[]) => commands.get(id)?.(...args),
    },
    window: {
      createOutputChannel: channel,
      createTreeView: () => ({ visible: false, onDidChangeVisibility: () => disposable, reveal: async () => undefined, dispose() {} }),
      createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
      withProgress: async (_o: unknown, task: (p: unknown, t: unknown) => Promise<unknown>) => task({ report() {} }, { onCancellationRequested: () => disposable }),
      showErrorMessage: say("error"),
      showInformationMessage: say("info"),
      showWarningMessage: say("warning"),
      showTextDocument: async (uri: Uri) => void opened.push(uri.fsPath),
      showQuickPick: async () => undefined,
      showInputBox: async () => undefined,
      activeTextEditor: undefined,
    },
  };
  return {
    vscode: vscode as unknown as VSCode,
    commands,
    messages,
    output,
    opened,
    updates,
    lensProviders,
    grantTrust() {
      workspace.isTrusted = true;
      trustGranted.fire();
    },
    document(file: string, text: string, version = 1) {
      return { uri: Uri.file(file), fileName: path.resolve(file), version, getText: () => text } as never;
    },
  };
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
const REPO = path.resolve(path.dirname(__filename), "..", "..");

/**
 * The extension's store service over a real store in a real worker thread: the built dist/store-worker.js,
 * as the extension starts it (call ensureBuilt() from ./helpers/build first).
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
