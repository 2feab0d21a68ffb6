import { el } from "./dom";

// Remote images wait for the reader. Loading one tells its server that this reader opened the artifact,
// from which address and when, so a flow (or a journal shipped with a workspace) could track who looks.
// Until the reader clicks "Load remote images" a placeholder names the image's host; the click asks the
// host to allow the hosts waiting on the page, and the host reloads the panel under a CSP that lets
// exactly those load (html.ts), so this rendering is not the only thing standing in the way.

let allowed: ReadonlySet<string> = new Set();

/** The origins this page may load images from, as the host sent them with the `show`. */
export function allowRemoteImages(origins: readonly string[]): void {
  allowed = new Set(origins);
}

function originOf(src: string): string | undefined {
  try {
    const url = new URL(src);
    return url.protocol === "https:" ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an https image may load now (its origin was allowed). */
export function remoteImageAllowed(src: string): boolean {
  const origin = originOf(src);
  return origin !== undefined && allowed.has(origin);
}

/** What shows instead of a remote image until its host is allowed: the host's name and the button. */
export function remoteImagePlaceholder(src: string, alt: string): HTMLElement {
  const origin = originOf(src) ?? "";
  const host = origin ? new URL(origin).host : src;
  return el(
    "span",
    { class: "remote-image", "data-remote-origin": origin, title: src },
    // In a table cell only the host shows beside the button (table.css); elsewhere the whole sentence.
    el(
      "span",
      { class: "remote-image-text" },
      el("span", { class: "remote-image-what" }, `${alt ? `Image “${alt}”` : "Image"} from `),
      el("span", { class: "remote-image-host" }, host),
      el("span", { class: "remote-image-what" }, " not loaded"),
    ),
    el("button", { type: "button", class: "load-remote-images", "data-load-remote-images": "" }, "Load remote images"),
  );
}

/** The origins of every placeholder on the page: what one click allows. */
export function waitingOrigins(): string[] {
  const origins = [...document.querySelectorAll("[data-remote-origin]")].map((e) => e.getAttribute("data-remote-origin") ?? "");
  return [...new Set(origins.filter((o) => o !== ""))];
}
