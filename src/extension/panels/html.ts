import { randomBytes } from "node:crypto";

// The panel's HTML shell. No inline script or style: the bundle and the stylesheet load from the extension
// (dist/webview) under a nonce, and the CSP allows nothing else. Images: the webview's own resources (a
// workspace image served through asWebviewUri), https, and image data: URLs (markdown-it only lets
// data:image/png|jpeg|gif|webp through). The test page builds its HTML with this same function.

export interface PanelHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** asWebviewUri of dist/webview/main.js and styles.css. */
  scriptUri: string;
  styleUri: string;
  title: string;
  nonce?: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString("base64").replace(/[+/=]/g, "");
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} https: data:`,
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
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, nonce))}">
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
