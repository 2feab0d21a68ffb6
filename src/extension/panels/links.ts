import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { fileInFolders } from "../safe-paths";

// What the host lets a panel open or show. The webview only asks; this decides. Links: http, https and
// mailto open in the browser; a path (relative to a workspace folder, absolute, or a file: URL) opens in
// the editor when it names an existing file inside a workspace folder; anything else (javascript:,
// command:, vscode:, data:, ...) is refused. Images: https, image data: URLs, or a workspace image file.
// Paths are compared after resolving symlinks, so a link inside the workspace cannot point out of it.

export type LinkTarget =
  | { kind: "external"; url: string }
  | { kind: "file"; path: string }
  | { kind: "rejected"; reason: string };

export type ImageTarget = { kind: "url"; src: string } | { kind: "file"; path: string } | { kind: "rejected"; reason: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const DRIVE = /^[a-z]:[\\/]/i;
const IMAGE_DATA = /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]+$/i;
const IMAGE_FILE = /\.(png|jpe?g|gif|webp|svg|bmp|ico|avif)$/i;

export function resolveLink(href: string, workspaceFolders: readonly string[]): LinkTarget {
  const h = href.trim();
  const scheme = DRIVE.test(h) ? undefined : SCHEME.exec(h)?.[1].toLowerCase();
  if (scheme === "http" || scheme === "https") {
    try {
      return { kind: "external", url: new URL(h).toString() };
    } catch {
      return { kind: "rejected", reason: `'${h}' is not a valid URL.` };
    }
  }
  if (scheme === "mailto") return { kind: "external", url: h };
  if (scheme !== undefined && scheme !== "file") {
    return { kind: "rejected", reason: `Links with '${scheme}:' are not opened from artifacts; only http, https, mailto and files in the workspace are.` };
  }
  const file = workspaceFile(h, workspaceFolders);
  return "reason" in file ? { kind: "rejected", reason: file.reason } : { kind: "file", path: file.path };
}

export function resolveImage(source: string, workspaceFolders: readonly string[]): ImageTarget {
  const s = source.trim();
  const scheme = DRIVE.test(s) ? undefined : SCHEME.exec(s)?.[1].toLowerCase();
  if (scheme === "https") return { kind: "url", src: s };
  if (scheme === "data") {
    return IMAGE_DATA.test(s)
      ? { kind: "url", src: s }
      : { kind: "rejected", reason: "Only base64 data:image URLs of png, jpeg, gif or webp are shown." };
  }
  if (scheme === "http") return { kind: "rejected", reason: `Images over plain http are not loaded; use https: ${s}` };
  if (scheme !== undefined && scheme !== "file") {
    return { kind: "rejected", reason: `'${scheme}:' images are not shown; an image is an https URL, an image data: URL or a file in the workspace.` };
  }
  if (!IMAGE_FILE.test(s.replace(/[?#].*$/, ""))) {
    return { kind: "rejected", reason: `'${s}' is not an image file (png, jpeg, gif, webp, svg, bmp, ico, avif).` };
  }
  const file = workspaceFile(s, workspaceFolders);
  return "reason" in file ? { kind: "rejected", reason: file.reason } : { kind: "file", path: file.path };
}

/** An existing file inside one of the folders (symlinks resolved), from a path, a relative path or a file: URL. */
export function workspaceFile(ref: string, workspaceFolders: readonly string[]): { path: string } | { reason: string } {
  if (workspaceFolders.length === 0) return { reason: "There is no workspace folder to open files from." };
  let p: string;
  try {
    p = /^file:/i.test(ref) ? fileURLToPath(ref) : decodeURIComponent(ref.replace(/[?#].*$/, ""));
  } catch {
    return { reason: `'${ref}' is not a valid file path.` };
  }
  const candidates = path.isAbsolute(p) ? [p] : workspaceFolders.map((f) => path.resolve(f, p));
  for (const candidate of candidates) {
    const found = fileInFolders(candidate, workspaceFolders);
    if ("path" in found) return found;
    if (found.problem === "outside") return { reason: `'${ref}' is outside the workspace; only files in the workspace are opened.` };
  }
  return { reason: `'${ref}' is not a file in the workspace.` };
}
