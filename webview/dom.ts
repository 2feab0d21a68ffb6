// A small element builder. Text goes in as text nodes, never as HTML; the only innerHTML in the panel is
// markdown-it's output (markdown.ts).

export function el(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: (Node | string | undefined)[]
): HTMLElement {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) e.setAttribute(name, value);
  for (const child of children) if (child !== undefined) e.append(child);
  return e;
}

/** Formats an ISO time in the reader's locale, with the ISO text kept for hovering. */
export function time(iso: string): HTMLElement {
  const d = new Date(iso);
  const text = Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
  return el("time", { datetime: iso, title: iso }, text);
}
