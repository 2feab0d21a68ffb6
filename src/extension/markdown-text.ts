import type { VSCode } from "./vscode-types";

// Text from the database inside the markdown of a tree tooltip. VS Code renders a hover's markdown, and
// loads what it names: a run name `![x](https://tracker/…)` would fetch an image (telling the tracker who
// hovered), `[x](file:///…)` or `<file:///…>` would be a link, a backtick would end a code span early.
// So data is escaped to be text and nothing else; only Flowline's own markup around it is markdown.

// CommonMark lets a backslash escape every ASCII punctuation character, and then it is plain text: no
// image, link, autolink (`https\://`), HTML, entity, emphasis, heading, list or table can start there.
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/** Data as markdown text: every punctuation character escaped, line breaks kept as line breaks. */
export function mdText(text: string): string {
  return text.replace(PUNCTUATION, "\\$&").replace(/\r\n?|\n/g, "  \n");
}

/** Data as a code span: the fence is longer than any run of backticks inside, so nothing ends it early. */
export function mdCode(text: string): string {
  const flat = text.replace(/\r\n?|\n/g, " ");
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence} ${flat} ${fence}`;
}

/** A tooltip whose markdown cannot run commands, render HTML or show icons from data. */
export function dataTooltip(vscode: VSCode, markdown: string): InstanceType<VSCode["MarkdownString"]> {
  const md = new vscode.MarkdownString(markdown, false);
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}
