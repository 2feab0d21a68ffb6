import type { Disposable, ExtensionContext } from "../vscode-types";
import { ArtifactPanels } from "../panels/panels";
import { ARTIFACT_VIEW_TYPE } from "../../shared/panel-protocol";
import type { ExtensionServices } from "../services";
import { registerTreeClick } from "../tree-click";
import type { TreeView, VSCode } from "../vscode-types";
import { artifactIdOf, clearArtifacts, deleteArtifact, deleteArtifactKey, pickArtifact, type ArtifactArg } from "./commands";
import { ARTIFACTS_VIEW, COMMANDS } from "./present";
import { ArtifactsTreeProvider, type ArtifactNode } from "./tree";

// Artifacts in VS Code: the Artifacts view, its commands, and the artifact panels (with their serializer,
// so panels come back after a reload). extension.ts calls registerArtifacts once at activation.

/** What this part of the extension uses of the services extension.ts passes in. */
export type ArtifactServices = Pick<ExtensionServices, "store" | "revealRun">;

export function registerArtifacts(vscode: VSCode, context: ExtensionContext, services: ArtifactServices): void {
  const store = () => services.store.get();
  const tree = new ArtifactsTreeProvider(vscode, { peek: () => services.store.peek() });
  const panels = new ArtifactPanels({
    vscode,
    extensionUri: context.extensionUri,
    getStore: store,
    revealRun: (flowRunId, taskRunId) => services.revealRun(flowRunId, taskRunId),
  });
  const refresh = () => {
    tree.refresh();
    void panels.refresh();
  };

  // A command's failure becomes a message that says what went wrong, not a silent rejection.
  const command = (id: string, run: (...args: never[]) => Promise<unknown> | unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await run(...args);
      } catch (err) {
        void vscode.window.showErrorMessage(`Flowline: ${err instanceof Error ? err.message : String(err)}`);
      }
    });

  const open = async (arg: ArtifactArg): Promise<void> => {
    if (arg && typeof arg === "object" && "kind" in arg && arg.kind === "key") return panels.openKey(arg.summary.key);
    const id = artifactIdOf(arg) ?? (await pickArtifact(vscode, await store(), "Open Artifact"))?.id;
    if (id) await panels.open(id);
  };

  // Every command an item can run is registered before the view exists, so none can be clicked unregistered.
  let view: TreeView<ArtifactNode> | undefined;
  const click = registerTreeClick(vscode, COMMANDS.click, () => view, tree.reads, (node: ArtifactNode) => tree.click(node, open));
  const disposables: Disposable[] = [
    tree,
    click,
    panels,
    vscode.window.registerWebviewPanelSerializer(ARTIFACT_VIEW_TYPE, panels.serializer()),
    services.store.onDidChange(refresh),
    command(COMMANDS.show, () => vscode.commands.executeCommand(`${ARTIFACTS_VIEW}.focus`)),
    command(COMMANDS.search, async () => {
      const a = await pickArtifact(vscode, await store(), "Search Artifacts");
      if (a) await panels.open(a.id);
    }),
    command(COMMANDS.open, (arg: ArtifactArg) => open(arg)),
    command(COMMANDS.delete, async (arg: ArtifactArg) => {
      if (await deleteArtifact(vscode, await store(), arg)) refresh();
    }),
    command(COMMANDS.deleteKey, async (arg: ArtifactArg) => {
      if ((await deleteArtifactKey(vscode, await store(), arg)) > 0) refresh();
    }),
    command(COMMANDS.clear, async () => {
      const n = await clearArtifacts(vscode, await store());
      if (n > 0) {
        refresh();
        void vscode.window.showInformationMessage(`Deleted ${n} ${n === 1 ? "artifact" : "artifacts"}.`);
      }
    }),
    command(COMMANDS.showMore, (key: string) => tree.showMore(key)),
  ];
  view = vscode.window.createTreeView(ARTIFACTS_VIEW, { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(...disposables, view);
}
