import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import type { HostMessage, PanelState } from "../src/shared/panel-protocol";
import { imageBody, invalidBody, linkBody, markdownBody, ProgressView } from "./bodies";
import { el } from "./dom";
import { HeaderView } from "./header";
import { RawView } from "./raw-view";
import { TableView } from "./table-view";
import { allowRemoteImages, waitingOrigins } from "./remote-images";
import { flushState, loadState, post, saveState } from "./vscode-api";

// The artifact panel's browser side. It shows what the host sends (a `show`, then for tables the rows in
// chunks) and keeps its own UI state (mode, search, sort, scroll) with setState, so a reload or a hidden
// tab coming back restores it. Every link goes through the host: clicks are intercepted here and posted.

type ShowMessage = Extract<HostMessage, { type: "show" }>;
type Mode = "rendered" | "raw";

const root = document.getElementById("root") ?? document.body;
/** The UI state this screen was built with (what it restores). */
let state: PanelState = {};
let screen: Screen | undefined;

class Screen {
  readonly load: number;
  private readonly header: HeaderView;
  private readonly rendered: HTMLElement;
  private readonly rawHost: HTMLElement;
  private readonly modeButtons: Record<Mode, HTMLElement>;
  private table: TableView | undefined;
  private progress: ProgressView | undefined;
  private raw: RawView | undefined;
  private rawText: string | undefined;
  private mode: Mode = "rendered";

  constructor(private readonly m: ShowMessage) {
    this.load = m.load;
    this.rawText = m.raw;
    this.header = new HeaderView(m.artifact, { onSelectVersion: (id) => post({ type: "selectVersion", id }) });
    this.modeButtons = {
      rendered: el("vscode-button", { class: "mode-rendered", "aria-pressed": "true" }, "Rendered"),
      raw: el("vscode-button", { class: "mode-raw", secondary: "", "aria-pressed": "false" }, "Raw"),
    };
    this.modeButtons.rendered.addEventListener("click", () => this.setMode("rendered"));
    this.modeButtons.raw.addEventListener("click", () => this.setMode("raw"));
    const bar = el("div", { class: "mode-bar", role: "group", "aria-label": "Show the data" }, this.modeButtons.rendered, this.modeButtons.raw);
    this.rendered = el("section", { class: "rendered", "aria-label": "Rendered" }, this.renderBody());
    this.rawHost = el("section", { class: "raw-host", "aria-label": "Raw", hidden: "" });
    root.replaceChildren(el("div", { class: `panel type-${m.artifact.type}` }, this.header.element, bar, this.rendered, this.rawHost));
    this.setMode(state.mode ?? "rendered");
  }

  rows(start: number, rows: unknown[][]): void {
    this.table?.append(start, rows);
  }

  setProgress(value: number): void {
    this.progress?.update(value);
    // The raw text of a progress artifact is its value.
    this.rawText = JSON.stringify(value);
    if (this.raw) this.raw.setText(this.rawText);
  }

  setVersions(versions: Parameters<HeaderView["showVersions"]>[0], following: boolean): void {
    this.header.showVersions(versions, following);
    saveState({ following });
  }

  setRaw(text: string): void {
    this.rawText = text;
    this.raw?.setText(text);
  }

  dispose(): void {
    this.table?.dispose();
    this.raw?.dispose();
  }

  private renderBody(): HTMLElement {
    const body = this.m.body;
    switch (body.type) {
      case "table":
        this.table = new TableView({
          columns: body.columns,
          total: body.total,
          search: state.search ?? "",
          sort: state.sort,
          scrollRow: state.mode === "raw" ? 0 : (state.scrollRow ?? 0),
          onState: (patch) => saveState(patch),
          onCopy: (text, what) => post({ type: "copy", text, what }),
          onExport: (csv) => post({ type: "exportCsv", csv, fileName: `${this.m.artifact.key ?? `table-${this.m.artifact.id.slice(0, 8)}`}.csv` }),
        });
        return this.table.element;
      case "markdown":
        return markdownBody(body.markdown);
      case "link":
        return linkBody(body.url, body.text, (text) => post({ type: "copy", text, what: "the link" }));
      case "progress":
        this.progress = new ProgressView(body.value);
        return this.progress.element;
      case "image":
        return imageBody(body);
      case "invalid":
        return invalidBody(body.message);
    }
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    for (const [m, button] of Object.entries(this.modeButtons) as [Mode, HTMLElement][]) {
      button.setAttribute("aria-pressed", String(m === mode));
      if (m === mode) button.removeAttribute("secondary");
      else button.setAttribute("secondary", "");
    }
    this.rendered.hidden = mode !== "rendered";
    this.rawHost.hidden = mode !== "raw";
    if (mode === "raw" && !this.raw) {
      const label = this.m.body.type === "markdown" ? "Markdown source" : "JSON";
      this.raw = new RawView({
        label,
        scrollRow: state.mode === "raw" ? (state.scrollRow ?? 0) : 0,
        onCopy: (text) => post({ type: "copy", text, what: label === "JSON" ? "the raw JSON" : "the markdown source" }),
        onState: (patch) => saveState(patch),
      });
      this.rawHost.append(this.raw.element);
      if (this.rawText !== undefined) this.raw.setText(this.rawText);
      else post({ type: "requestRaw", load: this.load });
    }
    saveState({ mode });
  }
}

function show(m: ShowMessage): void {
  const a = m.artifact;
  const prev = loadState();
  const same = prev.artifactId === a.id;
  // Another version of the same key keeps the reader's mode, search and sort; only the scroll starts over.
  const keep = same || (a.key !== undefined && prev.key === a.key);
  state = {
    artifactId: a.id,
    key: a.key,
    following: a.following,
    mode: keep ? prev.mode : "rendered",
    search: keep ? prev.search : "",
    sort: keep ? prev.sort : undefined,
    scrollRow: same ? prev.scrollRow : 0,
  };
  saveState(state);
  allowRemoteImages(m.remoteImages ?? []);
  screen?.dispose();
  screen = new Screen(m);
  document.title = a.key ?? `Unkeyed ${a.type}`;
}

function gone(message: string): void {
  screen?.dispose();
  screen = undefined;
  root.replaceChildren(el("div", { class: "panel gone" }, el("p", { class: "notice" }, message)));
}

function isHostMessage(data: unknown): data is HostMessage {
  return typeof data === "object" && data !== null && typeof (data as { type?: unknown }).type === "string";
}

window.addEventListener("message", (event: MessageEvent) => {
  const m = event.data;
  if (!isHostMessage(m)) return;
  if (m.type === "show") return show(m);
  if (m.type === "gone") return gone(m.message);
  // Everything else belongs to one load; a chunk still on its way for a version left behind is dropped.
  if (!screen || m.load !== screen.load) return;
  if (m.type === "rows") screen.rows(m.start, m.rows);
  else if (m.type === "progress") screen.setProgress(m.value);
  else if (m.type === "versions") screen.setVersions(m.versions, m.following);
  else if (m.type === "raw") screen.setRaw(m.text);
});

/** Links never navigate the webview: they are posted to the host, which validates and opens them. */
function activate(target: EventTarget | null, event: Event): void {
  if (target instanceof Element && target.closest("[data-load-remote-images]")) {
    // The host answers by reloading the page with these hosts allowed; the UI state must survive that.
    event.preventDefault();
    flushState();
    post({ type: "loadRemoteImages", origins: waitingOrigins() });
    return;
  }
  const a = target instanceof Element ? target.closest("a") : null;
  if (!a) return;
  event.preventDefault();
  const href = a.getAttribute("data-href");
  const flowRunId = a.getAttribute("data-flow-run");
  const version = a.getAttribute("data-version");
  if (href) post({ type: "openLink", href });
  else if (flowRunId) post({ type: "revealRun", flowRunId, taskRunId: a.getAttribute("data-task-run") ?? undefined });
  else if (version) post({ type: "selectVersion", id: version });
}

document.addEventListener("click", (e) => activate(e.target, e), true);
document.addEventListener("auxclick", (e) => activate(e.target, e), true);
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.target instanceof Element && e.target.matches("a[role=link]")) activate(e.target, e);
});

post({ type: "ready" });
