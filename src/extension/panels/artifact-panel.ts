import type { Disposable, Uri, WebviewPanel } from "../vscode-types";
import type { Artifact } from "../../store/types";
import type { ExtensionStore } from "../store-extras";
import type { VSCode } from "../vscode-types";
import { prepareArtifact, type ContentContext, type PreparedArtifact } from "./artifact-content";
import { panelHtml, remoteImageOrigin } from "./html";
import { workspaceFolders } from "../safe-paths";
import { resolveImage, resolveLink } from "./links";
import type { PanelRead, RowsPage } from "./panel-reads";
import type { HostMessage, VersionInfo, WebviewMessage } from "../../shared/panel-protocol";

// One artifact panel, host side. It reads the store, sends the webview what to show, and answers what the
// webview asks (versions, links, runs, raw text, copy, CSV export).
//
// Handshake: nothing is posted before the webview says `ready`. The panel holds what it shows (the latest
// state, not a backlog of messages) and sends it whole on every `ready`: the first load, a reload, and
// each time a hidden tab is shown again (without retainContextWhenHidden VS Code rebuilds the webview,
// which then restores its own UI state with getState). A table's rows stream after the `show`, a chunk
// at a time from the store's worker, where the table is parsed and kept (panel-reads.ts): a big table
// never crosses to this thread whole.

export interface PanelHost {
  vscode: VSCode;
  extensionUri: Uri;
  getStore(): Promise<ExtensionStore>;
  /** Shows a flow run (or one of its task runs) in the Flow Runs tree. */
  revealRun(flowRunId: string, taskRunId?: string): Promise<void>;
}

/** Which artifact a panel shows; `following`: move to each new version of its key. */
export interface PanelTarget {
  id: string;
  following: boolean;
}

interface Shown {
  /** A table's `data` is left out (its rows are in the worker). */
  artifact: Artifact;
  versions: VersionInfo[];
  following: boolean;
  prepared: PreparedArtifact;
  /** A table's first rows, read with it. */
  firstRows?: RowsPage;
}

/** A bound on the CSP's length: a page with more image hosts than this shows the rest as placeholders. */
const MAX_IMAGE_ORIGINS = 50;

export function webviewRoot(host: PanelHost): Uri {
  return host.vscode.Uri.joinPath(host.extensionUri, "dist", "webview");
}

export class ArtifactPanel {
  private ready = false;
  private load = 0;
  private shown: Shown | undefined;
  private disposed = false;
  /** Whether the webview may load workspace files (only once it shows a workspace image). */
  private workspaceRoots = false;
  /** The load for which "gone" was last posted. */
  private goneSaid = -1;
  /** The key whose versions were all deleted while shown: its next version is picked up. */
  private goneKey: string | undefined;
  /** Origins the reader allowed remote images from, in this panel ("Load remote images"). */
  private readonly imageOrigins = new Set<string>();
  private readonly subscriptions: Disposable[] = [];

  constructor(
    private readonly host: PanelHost,
    readonly panel: WebviewPanel,
    private target: PanelTarget,
    private readonly onDispose: (p: ArtifactPanel) => void,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot(host)] };
    this.setHtml();
    this.subscriptions.push(
      panel.webview.onDidReceiveMessage((m: WebviewMessage) => void this.onMessage(m).catch((err) => this.fail(err))),
      // A hidden panel's webview is torn down; it says `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The page, with a CSP that lets images load from the allowed origins only. Setting it reloads the webview. */
  private setHtml(): void {
    const { vscode } = this.host;
    const { webview } = this.panel;
    const root = webviewRoot(this.host);
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, "main.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, "styles.css")).toString(),
      title: this.panel.title,
      imageOrigins: [...this.imageOrigins],
    });
  }

  /** The reader clicked "Load remote images": allow those origins, and reload under the wider CSP. */
  private allowImageOrigins(origins: unknown): void {
    const before = this.imageOrigins.size;
    for (const o of Array.isArray(origins) ? origins.slice(0, MAX_IMAGE_ORIGINS) : []) {
      const origin = remoteImageOrigin(o);
      if (origin !== undefined && this.imageOrigins.size < MAX_IMAGE_ORIGINS) this.imageOrigins.add(origin);
    }
    if (this.imageOrigins.size === before) return;
    // The reloaded page says `ready` and gets the panel again, its images now allowed.
    this.ready = false;
    this.setHtml();
  }

  get artifactId(): string {
    return this.shown?.artifact.id ?? this.target.id;
  }

  get key(): string | undefined {
    return this.shown?.artifact.key;
  }

  /** Shows another artifact (or version) in this panel. */
  async show(target: PanelTarget): Promise<void> {
    this.target = target;
    this.goneKey = undefined;
    this.shown = undefined;
    await this.send();
  }

  /** The store changed: follow a new version, move a progress bar, or say the artifact is gone. */
  async refresh(): Promise<void> {
    if (this.disposed) return;
    const shown = this.shown;
    if (!shown) return this.goneKey !== undefined ? this.pickUp(this.goneKey) : this.send();
    const store = await this.host.getStore();
    const a = shown.artifact;
    // Looked up in the worker without any artifact's data.
    const { versions, updated } = await store.panelState(a.id, a.key, a.flowRunId);
    if (this.shown !== shown || this.disposed) return; // it moved on meanwhile
    if (a.key !== undefined) {
      const latest = versions[0];
      if (!latest) return this.gone(`All versions of '${a.key}' were deleted.`, a.key);
      if ((shown.following && latest.id !== a.id) || updated === undefined) return this.show({ id: latest.id, following: shown.following || updated === undefined });
      if (updated !== a.updated) return this.changed(store, a.id);
      if (versions.map((v) => v.id).join() !== shown.versions.map((v) => v.id).join()) {
        shown.versions = versions;
        this.post({ type: "versions", load: this.load, versions, following: shown.following });
      }
      return;
    }
    if (updated === undefined) return this.gone("This artifact was deleted.");
    if (updated !== a.updated) return this.changed(store, a.id);
  }

  /** A panel whose key was deleted shows the key's next version when one appears (and follows it). */
  private async pickUp(key: string): Promise<void> {
    const { versions } = await (await this.host.getStore()).panelState(this.target.id, key, undefined);
    if (!versions[0] || this.disposed || this.goneKey !== key) return;
    this.goneKey = undefined;
    await this.show({ id: versions[0].id, following: true });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.panel.dispose();
    this.onDispose(this);
  }

  /** The artifact's data changed in place (a progress update): move the bar, or show it again. */
  private async changed(store: ExtensionStore, id: string): Promise<void> {
    const shown = this.shown;
    const read = await store.panelArtifact(id, shown?.following ?? false);
    if (this.shown !== shown || this.disposed) return;
    if (!shown || !read) return this.send();
    const fresh = read.artifact;
    const sameDescription = fresh.description === shown.artifact.description;
    if (fresh.type === "progress" && typeof fresh.data === "number" && shown.artifact.type === "progress" && sameDescription) {
      Object.assign(shown, this.toShown(read));
      this.post({ type: "progress", load: this.load, value: Math.max(0, Math.min(100, fresh.data)), updated: fresh.updated });
      return;
    }
    this.adopt(this.toShown(read));
    await this.send();
  }

  /** Reads the target and sends it, if the webview is listening (else `ready` will). */
  private async send(): Promise<void> {
    if (this.disposed) return;
    if (!this.shown) {
      const target = this.target;
      const read = await (await this.host.getStore()).panelArtifact(target.id, target.following);
      if (this.disposed || this.target !== target || this.shown) return; // shown meanwhile, or moved on
      if (!read) return this.gone("This artifact no longer exists.");
      this.adopt(this.toShown(read));
    }
    if (!this.ready) return;
    const load = ++this.load;
    const shown = this.shown as Shown;
    this.post({ ...shown.prepared.show, load, remoteImages: [...this.imageOrigins] });
    if (shown.firstRows) await this.streamRows(shown, shown.firstRows, load);
  }

  /**
   * A table's rows, a chunk at a time, each awaited: the webview indexes one while the worker reads the
   * next. Stops when another load starts; a table that changed meanwhile is sent again by refresh().
   */
  private async streamRows(shown: Shown, first: RowsPage, load: number): Promise<void> {
    const store = await this.host.getStore();
    const { id, updated } = shown.artifact;
    let page: RowsPage | undefined = first;
    while (page && load === this.load && this.ready && !this.disposed) {
      const done: boolean = page.end >= page.total;
      const next: Promise<RowsPage | undefined> | undefined = done ? undefined : store.tableRows(id, updated, page.end).catch(() => undefined);
      await this.panel.webview.postMessage({ type: "rows", load, start: page.start, rows: page.rows, done } satisfies HostMessage);
      page = await next;
    }
  }

  private adopt(shown: Shown): void {
    this.shown = shown;
    this.target = { id: shown.artifact.id, following: shown.following };
    this.panel.title = shown.artifact.key ?? `${shown.artifact.type} ${shown.artifact.id.slice(0, 8)}`;
  }

  private toShown(read: PanelRead): Shown {
    const { artifact, versions, following, flowRun, taskRun, table } = read;
    const prepared = prepareArtifact(artifact, { versions, following, flowRun, taskRun, resolveImage: (source) => this.imageSource(source) }, table);
    return { artifact, versions, following, prepared, firstRows: table?.first };
  }

  /** An image the webview may load; a workspace file also opens the workspace to the webview, and only then. */
  private imageSource(source: string): ReturnType<ContentContext["resolveImage"]> {
    const { vscode } = this.host;
    const folders = workspaceFolders(vscode);
    const target = resolveImage(source, folders);
    if (target.kind === "rejected") return { error: target.reason };
    if (target.kind === "url") return { src: target.src };
    // A workspace file, served as the webview's own resource: not remote, though its URI is https.
    if (!this.workspaceRoots) {
      // Changing the options reloads the webview once; it then says `ready` and gets this image again.
      this.workspaceRoots = true;
      this.panel.webview.options = {
        enableScripts: true,
        localResourceRoots: [webviewRoot(this.host), ...folders.map((f) => vscode.Uri.file(f))],
      };
    }
    return { src: this.panel.webview.asWebviewUri(vscode.Uri.file(target.path)).toString(), local: true };
  }

  private post(message: HostMessage): void {
    if (this.ready && !this.disposed) void this.panel.webview.postMessage(message);
  }

  private gone(message: string, key?: string): void {
    this.shown = undefined;
    this.goneKey = key;
    // Every later change of the database would say it again; once is enough (until the next ready).
    if (this.goneSaid === this.load) return;
    this.goneSaid = this.load;
    this.post({ type: "gone", message });
  }

  private async onMessage(m: WebviewMessage): Promise<void> {
    const { vscode } = this.host;
    switch (m.type) {
      case "ready":
        this.ready = true;
        this.goneSaid = -1;
        return this.send();
      case "selectVersion": {
        const latest = this.shown?.versions[0]?.id;
        return this.show({ id: m.id, following: m.id === latest });
      }
      case "openLink":
        return this.openLink(m.href);
      case "revealRun":
        try {
          await this.host.revealRun(m.flowRunId, m.taskRunId);
        } catch (err) {
          void vscode.window.showWarningMessage(`Could not reveal the run ${m.taskRunId ?? m.flowRunId}: ${message(err)}`);
        }
        return;
      case "requestRaw": {
        const shown = this.shown;
        if (m.load !== this.load || !shown) return;
        // A table's data is in the worker: its JSON is made there.
        const text = shown.artifact.type === "table" ? await (await this.host.getStore()).artifactRaw(shown.artifact.id) : shown.prepared.rawText();
        if (text !== undefined && m.load === this.load && this.shown === shown) this.post({ type: "raw", load: m.load, text });
        return;
      }
      case "copy":
        await vscode.env.clipboard.writeText(m.text);
        vscode.window.setStatusBarMessage(`Flowline: copied ${m.what}`, 3000);
        return;
      case "exportCsv":
        return this.exportCsv(m.csv, m.fileName);
      case "loadRemoteImages":
        return this.allowImageOrigins(m.origins);
    }
  }

  private async openLink(href: string): Promise<void> {
    const { vscode } = this.host;
    const target = resolveLink(href, workspaceFolders(vscode));
    if (target.kind === "rejected") {
      void vscode.window.showWarningMessage(target.reason);
    } else if (target.kind === "external") {
      await vscode.env.openExternal(vscode.Uri.parse(target.url, true));
    } else {
      await vscode.commands.executeCommand("vscode.open", vscode.Uri.file(target.path));
    }
  }

  private async exportCsv(csv: string, fileName: string): Promise<void> {
    const { vscode } = this.host;
    const safeName = fileName.replace(/[\\/:*?"<>|]/g, "-");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, safeName) : undefined,
      filters: { CSV: ["csv"] },
      saveLabel: "Export CSV",
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(csv));
    const open = await vscode.window.showInformationMessage(`Exported ${uri.fsPath}.`, "Open");
    if (open) await vscode.commands.executeCommand("vscode.open", uri);
  }

  private fail(err: unknown): void {
    void this.host.vscode.window.showErrorMessage(`Flowline artifact panel: ${message(err)}`);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
