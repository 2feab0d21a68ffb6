import type { Browser } from "playwright-core";
import type { Uri as VsUri } from "vscode";
import type { WebviewMessage } from "../../src/shared/panel-protocol";
import { FakePanel, Uri } from "../fake-vscode";
import { ORIGIN, PanelPage } from "./harness";

// The real panel host (ArtifactPanels over a real store) talking to the real webview in Chromium: what the
// host sets as the panel's HTML is the page, setting it again reloads the page (as in VS Code), the host's
// posts reach the page's window, and what the page posts reaches the host.

/** The extension's folder as the host sees it: its dist/webview is served at ORIGIN/dist/webview. */
export const EXTENSION_URI = Uri.file("/") as unknown as VsUri;

export class ChromiumPanel extends FakePanel {
  private page: PanelPage | undefined;
  /** How many times the page was loaded (the host set its HTML). */
  loads = 0;
  private html = "";
  private loading: Promise<void> = Promise.resolve();

  override readonly webview = (() => {
     
    const self = this;
    return {
      options: {} as { localResourceRoots?: Uri[] },
      get html(): string {
        return self.html;
      },
      set html(value: string) {
        self.html = value;
        self.loading = self.loading.then(() => self.load());
      },
      cspSource: ORIGIN,
      asWebviewUri: (u: Uri) => `${ORIGIN}${u.fsPath}`,
      postMessage: async (m: { type: string }) => {
        this.posted.push(m);
        // The host posts once the page said ready, which can be before the page is known here.
        await this.loaded();
        await this.page?.send(m as never);
        return true;
      },
      onDidReceiveMessage: (listener: (m: unknown) => void) => this.onMessage(listener),
    };
  })();

  private readonly listeners = new Set<(m: unknown) => void>();

  constructor(
    private readonly browser: Browser,
    title: string,
  ) {
    super(title);
  }

  private onMessage(listener: (m: unknown) => void) {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  private async load(): Promise<void> {
    this.loads++;
    if (this.page) return this.page.reload();
    this.page = await PanelPage.open(this.browser, {
      html: () => this.html,
      toHost: (m: WebviewMessage) => {
        for (const l of [...this.listeners]) l(m);
      },
    });
  }

  /** Waits until the host has set the page again since `loads` was `since`, and the page has loaded it. */
  async reloaded(since: number): Promise<PanelPage> {
    const deadline = Date.now() + 10_000;
    while (this.loads <= since) {
      if (Date.now() > deadline) throw new Error("The host did not reload the panel.");
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.loaded();
  }

  /** The page, once it has loaded the HTML the host set last. */
  async loaded(): Promise<PanelPage> {
    let settled: Promise<void>;
    do {
      settled = this.loading;
      await settled;
    } while (settled !== this.loading);
    if (!this.page) throw new Error("The host never set the panel's HTML.");
    return this.page;
  }

  override dispose(): void {
    super.dispose();
    void this.page?.close();
  }
}
