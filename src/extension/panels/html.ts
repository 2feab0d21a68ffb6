import { randomBytes } from "node:crypto";

// The panel's HTML shell. No inline script or style: the bundle and the stylesheet load from the extension
// (dist/webview) under a nonce, and the CSP allows nothing else. Images: the webview's own resources (a
// workspace image served through asWebviewUri), image data: URLs (markdown-it only lets
// data:image/png|jpeg|gif|webp through), and remote images only from the origins the reader allowed with
// "Load remote images": loading one tells its server that this reader looked, and from where. The test
// page builds its HTML with this same function.

export interface PanelHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** asWebviewUri of dist/webview/main.js and styles.css. */
  scriptUri: string;
  styleUri: string;
  title: string;
  nonce?: string;
  /** Origins (`https://host[:port]`, checked by remoteImageOrigin) whose images may load. */
  imageOrigins?: readonly string[];
}

export function makeNonce(): string {
  return randomBytes(18).toString("base64").replace(/[+/=]/g, "");
}

/**
 * `https://host[:port]` when `value` is exactly such an origin, else undefined. What goes into the CSP
 * must be a plain host source: no path, no user, no `;` or space that would add a directive.
 */
export function remoteImageOrigin(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" || url.origin !== value || !/^[a-z0-9.-]+$/.test(url.hostname)) return undefined;
  return url.origin;
}

export function contentSecurityPolicy(cspSource: string, nonce: string, imageOrigins: readonly string[] = []): string {
  const remote = imageOrigins.map(remoteImageOrigin).filter((o): o is string => o !== undefined);
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    [`img-src ${cspSource} data:`, ...remote].join(" "),
    `font-src ${cspSource}`,
  ].join("; ");
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function panelHtml(o: PanelHtmlOptions): string {
  const nonce = o.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, nonce, o.imageOrigins))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(o.styleUri)}">
<title>${escapeAttr(o.title)}</title>
</head>
<body>
<div id="root"><p>Loading…</p></div>
<script nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
