/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (The page-side callbacks passed to page.evaluate in these tests run in Chromium and use DOM types.)
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Artifact } from "../../src/store/types";
import { prepareArtifact, rowMessages, type ContentContext } from "../../src/extension/panels/artifact-content";
import { panelHtml } from "../../src/extension/panels/html";
import type { HostMessage, PanelState, WebviewMessage } from "../../src/shared/panel-protocol";

// The built artifact panel (dist/webview/main.js + styles.css) in headless Chromium, behind the same CSP
// as in VS Code (panelHtml), with a stand-in for the VS Code API: it records what the webview posts and
// keeps its setState. Host messages are made by the real host code (prepareArtifact, rowMessages) and
// delivered with window.postMessage, as VS Code's webview frame delivers them.

export const ORIGIN = "https://flowline.test";
const ROOT = path.resolve(__dirname, "../..");
const DIST = path.join(ROOT, "dist", "webview");
/** A 2×2 red PNG. */
export const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAmDgMBVhYqGAAAAABJRU5ErkJggg==";

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(path.join(DIST, "main.js"))) throw new Error("dist/webview/main.js is missing: run `npm run build` first.");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/**
 * One Chromium for the describe block it is called in, launched before its tests and closed after
 * them: `const browser = useBrowser();`, then `browser()` in the tests.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("The browser is not launched yet: call browser() inside a test or hook.");
    return browser;
  };
}

export type Theme = "dark" | "light" | "high-contrast";

/** A few of the variables VS Code sets on the webview's <html>, per theme kind. */
export const THEMES: Record<Theme, Record<string, string>> = {
  dark: {
    "--vscode-foreground": "#cccccc",
    "--vscode-editor-background": "#1f1f1f",
    "--vscode-panel-border": "#2b2b2b",
    "--vscode-focusBorder": "#0078d4",
    "--vscode-textLink-foreground": "#4daafc",
    "--vscode-progressBar-background": "#0078d4",
    "--vscode-badge-background": "#616161",
    "--vscode-badge-foreground": "#f8f8f8",
  },
  light: {
    "--vscode-foreground": "#3b3b3b",
    "--vscode-editor-background": "#ffffff",
    "--vscode-panel-border": "#e5e5e5",
    "--vscode-focusBorder": "#005fb8",
    "--vscode-textLink-foreground": "#005fb8",
    "--vscode-progressBar-background": "#005fb8",
    "--vscode-badge-background": "#cccccc",
    "--vscode-badge-foreground": "#3b3b3b",
  },
  "high-contrast": {
    "--vscode-foreground": "#ffffff",
    "--vscode-editor-background": "#000000",
    "--vscode-panel-border": "#6fc3df",
    "--vscode-contrastBorder": "#6fc3df",
    "--vscode-contrastActiveBorder": "#f38518",
    "--vscode-focusBorder": "#f38518",
    "--vscode-textLink-foreground": "#21a6ff",
    "--vscode-progressBar-background": "#0078d4",
  },
};

export interface OpenOptions {
  theme?: Theme;
  /** What getState returns at load (a panel coming back after a reload). */
  state?: PanelState;
  /** The page's HTML, read at each load; by default panelHtml with no remote image origins. */
  html?: () => string;
  /** Receives what the webview posts (as a panel's host does), besides the record kept here. */
  toHost?: (message: WebviewMessage) => void;
}

/** The image servers the page can reach (each answers any .png with a 2×2 PNG); every other request fails. */
export const IMAGE_HOSTS = ["https://images.test", "https://tracker.test"];

export class PanelPage {
  readonly dialogs: string[] = [];
  readonly errors: string[] = [];
  /** Every URL the page asked for, in order (Playwright's request events, blocked ones included). */
  readonly requests: string[] = [];
  /** Every URL that reached a server (the route answered it): what a server would have seen. */
  readonly served: string[] = [];

  private constructor(readonly page: Page) {
    page.on("request", (r) => this.requests.push(r.url()));
    page.on("dialog", (d) => {
      this.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on("pageerror", (e) => this.errors.push(e.message));
  }

  static async open(browser: Browser, o: OpenOptions = {}): Promise<PanelPage> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const p = new PanelPage(page);
    if (o.toHost) await page.exposeFunction("__toHost", o.toHost);
    await page.route("**/*", async (route) => {
      p.served.push(route.request().url());
      const url = new URL(route.request().url());
      if (url.origin === ORIGIN && url.pathname === "/panel.html") {
        const html = o.html?.() ?? panelHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/dist/webview/main.js`, styleUri: `${ORIGIN}/dist/webview/styles.css`, title: "Artifact" });
        return route.fulfill({ contentType: "text/html", body: html });
      }
      if (url.origin === ORIGIN && url.pathname.startsWith("/dist/webview/")) {
        const file = path.join(DIST, path.basename(url.pathname));
        return route.fulfill({ contentType: file.endsWith(".css") ? "text/css" : "text/javascript", body: fs.readFileSync(file) });
      }
      // Stand-ins for an https image and a workspace file served through asWebviewUri.
      if ((IMAGE_HOSTS.includes(url.origin) || url.origin === ORIGIN) && url.pathname.endsWith(".png")) {
        return route.fulfill({ contentType: "image/png", body: Buffer.from(PNG_BASE64, "base64") });
      }
      return route.abort();
    });
    // A string, not a function: tsx would wrap named functions in a helper that does not exist in the page.
    await page.addInitScript(`
      globalThis.__name = (f) => f; // the same helper, for functions tests pass to page.evaluate
      window.__posted = [];
      // As in VS Code, the state outlives a reload of the page (the host setting its HTML again).
      window.__state = JSON.parse(sessionStorage.getItem("__state") ?? "null") ?? ${JSON.stringify(o.state ?? null)};
      window.__acquired = 0;
      window.__violations = [];
      document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
      window.acquireVsCodeApi = () => {
        if (window.__acquired++ > 0) throw new Error("acquireVsCodeApi may be called only once");
        return {
          postMessage: (m) => {
            window.__posted.push(JSON.parse(JSON.stringify(m)));
            if (window.__toHost) void window.__toHost(JSON.parse(JSON.stringify(m)));
          },
          getState: () => window.__state,
          setState: (s) => {
            window.__state = JSON.parse(JSON.stringify(s));
            sessionStorage.setItem("__state", JSON.stringify(s));
          },
        };
      };
      // As VS Code does: theme variables on <html>, the theme kind as a body class.
      document.addEventListener("DOMContentLoaded", () => {
        for (const [k, v] of Object.entries(${JSON.stringify(THEMES[o.theme ?? "dark"])})) document.documentElement.style.setProperty(k, v);
        document.body.classList.add("vscode-${o.theme ?? "dark"}");
      });
    `);
    await p.reload();
    return p;
  }

  /** Loads the page (again), as VS Code does when a panel's HTML is set; resolves once it says ready. */
  async reload(): Promise<void> {
    await this.page.goto(`${ORIGIN}/panel.html`);
    await this.waitForPosted("ready");
  }

  async posted(): Promise<WebviewMessage[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
  }

  async postedOf<T extends WebviewMessage["type"]>(type: T): Promise<Extract<WebviewMessage, { type: T }>[]> {
    return (await this.posted()).filter((m): m is Extract<WebviewMessage, { type: T }> => m.type === type);
  }

  async waitForPosted(type: WebviewMessage["type"], count = 1): Promise<void> {
    await this.page.waitForFunction(
      ([t, n]) => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === t).length >= n,
      [type, count] as const,
    );
  }

  async state(): Promise<PanelState> {
    await this.page.waitForTimeout(200); // setState is batched (every 50 ms)
    return this.page.evaluate(() => (window as unknown as { __state: PanelState }).__state);
  }

  async send(message: HostMessage): Promise<void> {
    await this.page.evaluate((m) => window.postMessage(m, "*"), message);
  }

  /** Shows an artifact as the host would: the `show`, then a table's rows. */
  async show(a: Artifact, ctx: Partial<ContentContext> = {}, load = 1): Promise<void> {
    const prepared = prepareArtifact(a, {
      versions: [],
      following: false,
      resolveImage: (source) => (source.startsWith("https:") ? { src: source } : { error: "not in this test" }),
      ...ctx,
    });
    await this.send({ ...prepared.show, load });
    if (prepared.table) for (const m of rowMessages(prepared.table.rows, load)) await this.send(m);
    await this.page.waitForSelector(".panel");
  }

  async text(selector: string): Promise<string> {
    return (await this.page.textContent(selector)) ?? "";
  }

  /** The visible table as text: header names, then each row's cells in view order. */
  async table(): Promise<{ headers: string[]; rows: string[][] }> {
    return this.page.evaluate(() => {
      const headers = [...document.querySelectorAll(".th .label")].map((e) => e.textContent ?? "");
      const rows = [...document.querySelectorAll<HTMLElement>(".tr:not([hidden])")]
        .map((r) => ({ i: Number(r.getAttribute("aria-rowindex")), cells: [...r.children].map((c) => c.textContent ?? "") }))
        .sort((a, b) => a.i - b.i)
        .map((r) => r.cells);
      return { headers, rows };
    });
  }

  async search(text: string): Promise<void> {
    await this.page.locator(".search input").fill(text);
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}

let seq = 0;
/** An artifact row as the store returns it. */
export function artifact(type: Artifact["type"], data: unknown, extra: Partial<Artifact> = {}): Artifact {
  seq++;
  return {
    id: `0000000${seq}-aaaa-bbbb-cccc-${String(seq).padStart(12, "0")}`,
    type,
    data,
    created: "2025-03-01T10:00:00.000Z",
    updated: "2025-03-01T10:00:00.000Z",
    seq,
    ...extra,
  };
}

export const CITIES = [
  { city: "Tokyo", country: "Japan", population_millions: 37.1, founded: 1457 },
  { city: "Delhi", country: "India", population_millions: 33.8, founded: "6th century BC" },
  { city: "Shanghai", country: "China", population_millions: 29.9, founded: 751 },
  { city: "São Paulo", country: "Brazil", population_millions: 22.8, founded: 1554 },
  { city: "Mexico City", country: "Mexico", population_millions: 22.3, founded: 1325 },
  { city: "Cairo", country: "Egypt", population_millions: 22.6, founded: 969 },
  { city: "Mumbai", country: "India", population_millions: 21.7, founded: 1507 },
  { city: "Dublin", country: "Ireland", population_millions: 1.3, founded: 841 },
];
