import * as path from "node:path";
import type { VSCode } from "../../src/extension/vscode-types";

// A small stand-in for the parts of the vscode module the Artifacts view and the panel host use, so they
// run in plain Node (tests, bench). It records what the extension asks of VS Code, and answers modal
// questions from a script (`answers`).

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

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri("file", p);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, path.join(base.fsPath, ...parts));
  }
  static parse(s: string): Uri {
    return new Uri(s.split(":")[0], s);
  }
  toString(): string {
    return this.scheme === "file" ? `file://${this.fsPath}` : this.fsPath;
  }
}

export class TreeItem {
  id?: string;
  description?: string;
  iconPath?: ThemeIcon;
  contextValue?: string;
  tooltip?: MarkdownString | string;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState: number,
  ) {}
}

export class ThemeIcon {
  constructor(readonly id: string) {}
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

export interface FakeVSCode {
  vscode: VSCode;
  /** Answers to showWarningMessage / showQuickPick / showSaveDialog, in order. */
  answers: unknown[];
  calls: { api: string; args: unknown[] }[];
  panels: FakePanel[];
  workspaceFolders: string[];
  /** Makes the panels createWebviewPanel returns (a test can put a real browser behind them). */
  makePanel: (title: string) => FakePanel;
}

export function fakeVSCode(): FakeVSCode {
  const f: FakeVSCode = { vscode: undefined as unknown as VSCode, answers: [], calls: [], panels: [], workspaceFolders: [], makePanel: (title) => new FakePanel(title) };
  const record = (api: string, answer = false) => async (...args: unknown[]) => {
    f.calls.push({ api, args });
    return answer ? f.answers.shift() : undefined;
  };
  const vscode = {
    EventEmitter,
    TreeItem,
    ThemeIcon,
    MarkdownString,
    Uri,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ProgressLocation: { Notification: 15 },
    ViewColumn: { Active: -1 },
    window: {
      showWarningMessage: record("showWarningMessage", true),
      showInformationMessage: record("showInformationMessage"),
      showErrorMessage: record("showErrorMessage"),
      showQuickPick: record("showQuickPick", true),
      showSaveDialog: record("showSaveDialog", true),
      setStatusBarMessage: (...args: unknown[]) => f.calls.push({ api: "setStatusBarMessage", args }),
      withProgress: (_o: unknown, task: (p: { report(): void }, t: { isCancellationRequested: boolean }) => unknown) =>
        task({ report: () => undefined }, { isCancellationRequested: false }),
      createWebviewPanel: (_type: string, title: string) => {
        const p = f.makePanel(title);
        f.panels.push(p);
        return p;
      },
    },
    commands: { executeCommand: record("executeCommand") },
    env: { openExternal: record("openExternal"), clipboard: { writeText: record("clipboard.writeText") } },
    workspace: {
      get workspaceFolders() {
        return f.workspaceFolders.map((p) => ({ uri: Uri.file(p) }));
      },
      fs: { writeFile: record("workspace.fs.writeFile") },
    },
  };
  f.vscode = vscode as unknown as VSCode;
  return f;
}
