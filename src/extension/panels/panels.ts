import type { Disposable, WebviewPanel } from "../vscode-types";
import { ArtifactPanel, webviewRoot, type PanelHost } from "./artifact-panel";
import { ARTIFACT_VIEW_TYPE, type PanelState } from "../../shared/panel-protocol";

// All artifact panels: one a key (versions switch inside it), one an unkeyed artifact. Opening what a
// panel already shows reveals that panel. Panels come back after a window reload through the serializer
// (the webview saved its artifact id, key and "following" with setState).

export class ArtifactPanels implements Disposable {
  private readonly panels = new Set<ArtifactPanel>();
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(private readonly host: PanelHost) {}

  /** Shows an artifact: `following` moves the panel to each new version of its key. */
  async open(id: string, opts: { following?: boolean; preserveFocus?: boolean } = {}): Promise<void> {
    const store = await this.host.getStore();
    const artifact = await store.artifactMeta(id);
    if (!artifact) throw new Error(`There is no artifact with id ${id}; it may have been deleted.`);
    const existing = [...this.panels].find((p) => (artifact.key !== undefined ? p.key === artifact.key : p.artifactId === id));
    const latest = artifact.key !== undefined ? (await store.getArtifactVersions(artifact.key, { limit: 1, includeData: false }))[0] : undefined;
    const target = { id, following: opts.following ?? latest?.id === id };
    if (existing) {
      existing.panel.reveal(undefined, opts.preserveFocus);
      if (existing.artifactId !== id || target.following) await existing.show(target);
      return;
    }
    const { vscode } = this.host;
    const panel = vscode.window.createWebviewPanel(
      ARTIFACT_VIEW_TYPE,
      artifact.key ?? `${artifact.type} ${id.slice(0, 8)}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus },
      { enableScripts: true, enableFindWidget: true, localResourceRoots: [webviewRoot(this.host)] },
    );
    await this.adopt(panel, target).show(target);
  }

  /** The latest version of a key, following it. */
  async openKey(key: string): Promise<void> {
    const store = await this.host.getStore();
    const [latest] = await store.getArtifactVersions(key, { limit: 1, includeData: false });
    if (!latest) throw new Error(`No artifact has the key '${key}'.`);
    await this.open(latest.id, { following: true });
  }

  /** The database changed: every panel checks what it shows. Coalesced: one pass at a time. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await Promise.all([...this.panels].map((p) => p.refresh().catch(() => undefined)));
      } while (this.refreshAgain);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** For `registerWebviewPanelSerializer(ARTIFACT_VIEW_TYPE, …)`. */
  serializer(): { deserializeWebviewPanel(panel: WebviewPanel, state: unknown): Promise<void> } {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        const s = (state ?? {}) as PanelState;
        if (typeof s.artifactId !== "string") {
          panel.dispose();
          return;
        }
        let target = { id: s.artifactId, following: s.following === true };
        // After a reload the artifact may be gone: a key that still has versions shows its latest; a tab of
        // something that no longer exists closes itself, and says so in one line.
        const store = await this.host.getStore();
        if (!(await store.artifactMeta(target.id))) {
          const [latest] = typeof s.key === "string" ? await store.getArtifactVersions(s.key, { limit: 1, includeData: false }) : [];
          if (!latest) {
            panel.dispose();
            const what = typeof s.key === "string" ? `'${s.key}'` : "an artifact";
            void this.host.vscode.window.showInformationMessage(`Flowline: closed the tab of ${what}, which no longer exists.`);
            return;
          }
          target = { id: latest.id, following: true };
        }
        // The content options are set again here: they are not restored with the panel.
        await this.adopt(panel, target).show(target);
      },
    };
  }

  dispose(): void {
    for (const p of [...this.panels]) p.dispose();
  }

  private adopt(panel: WebviewPanel, target: { id: string; following: boolean }): ArtifactPanel {
    const p = new ArtifactPanel(this.host, panel, target, (gone) => this.panels.delete(gone));
    this.panels.add(p);
    return p;
  }
}
