import type { ArtifactBody } from "../src/shared/panel-protocol";
import { el } from "./dom";
import { renderMarkdown } from "./markdown";
import { remoteImageAllowed, remoteImagePlaceholder } from "./remote-images";

// Rendered bodies of the small types: markdown, link, progress, image, and data that fits no type.
// Tables have their own view (table-view.ts).

/** Schemes a link may be opened with (the host checks again; a path or file: URL is a workspace file). */
const OPENABLE = /^(https?:|mailto:|file:)/i;
const HAS_SCHEME = /^([a-z][a-z0-9+.-]*):/i;
/** https, or an image data: URL. Workspace files arrive as https webview URIs made by the host (`local`). */
const SAFE_IMAGE = /^(https:|data:image\/(png|jpeg|gif|webp);)/i;

function isOpenable(href: string): boolean {
  return OPENABLE.test(href) || !HAS_SCHEME.test(href.trim());
}

export function markdownBody(source: string): HTMLElement {
  const body = el("div", { class: "markdown-body" });
  body.innerHTML = renderMarkdown(source);
  return body;
}

/**
 * A link: http(s), mailto and workspace files open through the host; any other (s3://, gs://, ftp://, ...)
 * is shown as text labelled with its scheme, with a Copy button, since no editor opens it.
 */
export function linkBody(url: string, text: string | undefined, onCopy: (text: string) => void): HTMLElement {
  const label = text || url;
  if (!isOpenable(url)) {
    const scheme = HAS_SCHEME.exec(url.trim())?.[1].toLowerCase() ?? "";
    const copy = el("vscode-button", { secondary: "", class: "copy-link" }, "Copy");
    copy.addEventListener("click", () => onCopy(url));
    return el(
      "div",
      { class: "link-body" },
      el("span", { class: "link-scheme" }, `${scheme} link`),
      el("span", { class: "link-text blocked" }, label),
      el("div", { class: "link-url" }, url, copy),
      el("p", { class: "notice" }, `Flowline does not open ${scheme}: links; copy it to use it elsewhere. Only http, https and mailto links and files in the workspace open from here.`),
    );
  }
  return el(
    "div",
    { class: "link-body" },
    el("a", { class: "link-text", role: "link", tabindex: "0", "data-href": url, title: url }, label),
    el("div", { class: "link-url" }, url),
  );
}

export class ProgressView {
  readonly element: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly label: HTMLElement;

  constructor(value: number) {
    this.fill = el("div", { class: "progress-fill" });
    this.bar = el("div", { class: "progress", role: "progressbar", "aria-label": "Progress", "aria-valuemin": "0", "aria-valuemax": "100" }, this.fill);
    this.label = el("span", { class: "progress-value" });
    this.element = el("div", { class: "progress-body" }, this.bar, this.label);
    this.update(value);
  }

  update(value: number): void {
    const v = Math.max(0, Math.min(100, Number.isFinite(value) ? value : 0));
    this.fill.style.width = `${v}%`;
    this.bar.setAttribute("aria-valuenow", String(v));
    this.label.textContent = `${Math.round(v * 10) / 10}%`;
    this.element.classList.toggle("done", v >= 100);
  }
}

export function imageBody(body: Extract<ArtifactBody, { type: "image" }>): HTMLElement {
  if (body.src && SAFE_IMAGE.test(body.src)) {
    // Any https src the host did not mark as the webview's own resource is remote: it waits for a click.
    const waits = !body.local && /^https:/i.test(body.src) && !remoteImageAllowed(body.src);
    const image = waits ? remoteImagePlaceholder(body.src, "") : el("img", { src: body.src, alt: body.source });
    return el("figure", { class: "image-body" }, image, el("figcaption", {}, body.source));
  }
  const why = body.error ?? "Images are https URLs, data:image URLs (png, jpeg, gif, webp) or files in the workspace.";
  return el("div", { class: "image-body" }, el("p", { class: "notice" }, why), el("code", {}, body.source));
}

export function invalidBody(message: string): HTMLElement {
  return el("div", { class: "invalid-body" }, el("p", { class: "notice" }, message), el("p", { class: "muted" }, "Switch to Raw to see the data as stored."));
}
