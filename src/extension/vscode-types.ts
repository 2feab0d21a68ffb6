// The one seam where VS Code's API types enter. Only extension.ts `require`s the vscode module; every other
// file imports types from here and receives the module through its constructor, so the logic behind it
// runs (and is tested) in plain Node.
export type VSCode = typeof import("vscode");
export type {
  CodeLens,
  CodeLensProvider,
  Disposable,
  Event,
  ExtensionContext,
  InputBoxOptions,
  LogOutputChannel,
  QuickPickItem,
  StatusBarItem,
  TextDocument,
  TreeDataProvider,
  TreeItem,
  TreeView,
  Uri,
  WebviewPanel,
} from "vscode";
