import MarkdownIt from "markdown-it";
import { remoteImageAllowed, remoteImagePlaceholder } from "./remote-images";

// Markdown for descriptions, markdown artifacts and table cells. Safe by construction:
// - `html: false`: raw HTML in the source is escaped, never parsed (`<script>`, `<img onerror>`, `<svg>`).
// - markdown-it's validateLink drops `javascript:`, `vbscript:`, `file:` and non-image `data:` URLs.
// - Links keep their target in `data-href`, not `href`: nothing navigates by itself (not the webview, not
//   VS Code's own link handler); a click posts `openLink` and the host validates it before opening.
// - Images load only from https: or an image data: URL (the CSP says the same; this keeps the DOM clean),
//   and an https image only once its host is allowed (remote-images.ts); until then, a placeholder.

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

const SAFE_IMAGE = /^(https:|data:image\/(png|jpeg|gif|webp);)/i;

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx];
  const href = token.attrGet("href")?.toString();
  token.attrs = (token.attrs ?? []).filter(([name]) => name !== "href");
  if (href) {
    token.attrSet("data-href", href);
    token.attrSet("title", href);
  }
  token.attrSet("tabindex", "0");
  token.attrSet("role", "link");
  return self.renderToken(tokens, idx, options);
};

// A column's alignment (`| ---: |`) as a class: markdown-it writes an inline `style`, which the CSP
// (no 'unsafe-inline' styles) blocks, so the column would lose its alignment and the console fill with errors.
for (const rule of ["th_open", "td_open"] as const) {
  md.renderer.rules[rule] = (tokens, idx, options, _env, self) => {
    const token = tokens[idx];
    const align = /text-align:\s*(left|right|center)/.exec(String(token.attrGet("style") ?? ""))?.[1];
    token.attrs = (token.attrs ?? []).filter(([name]) => name !== "style");
    if (align) token.attrJoin("class", `align-${align}`);
    return self.renderToken(tokens, idx, options);
  };
}

const defaultImage = md.renderer.rules.image;
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const src = String(token.attrGet("src") ?? "");
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  if (!SAFE_IMAGE.test(src)) {
    // Shown as its alt text in brackets, so the reader still sees that an image was meant.
    return `[${md.utils.escapeHtml(alt)}]`;
  }
  // Built as elements (text nodes, attributes set one by one), then serialised: no string is spliced.
  if (/^https:/i.test(src) && !remoteImageAllowed(src)) return remoteImagePlaceholder(src, alt).outerHTML;
  return defaultImage ? defaultImage(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
};

/** Block markdown as HTML that is safe to assign to innerHTML. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}

// Cells are rendered as they scroll into view; most are plain words or numbers, which need no parser.
const INLINE_SYNTAX = /[\\`*_[\]<>&~!:.@]/;

/** Fills an element with one line of inline markdown (a table cell). */
export function renderInlineInto(el: HTMLElement, source: string): void {
  if (!INLINE_SYNTAX.test(source)) el.textContent = source;
  else el.innerHTML = md.renderInline(source);
}
