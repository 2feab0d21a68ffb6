import type { ParserOptions, ParserPlugin } from "@babel/parser";
import type { Program } from "@babel/types";

// Parses a source file for the flow finder with @babel/parser, which is loaded on first use, not at
// activation. Babel recovers from many errors by itself; a file being typed often has one it cannot
// recover from (an unterminated string, a half-written expression), so the line at fault is blanked and
// the file parsed again, keeping every offset where it was. A few tries, fewer for a big file.

type Babel = typeof import("@babel/parser");

let babel: Babel | undefined;

function parser(): Babel {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required when first needed: activation stays small
  return (babel ??= require("@babel/parser") as Babel);
}

/** JSX is read in .tsx, .jsx and plain JavaScript; in .ts files `<T>x` is a type assertion. */
function pluginsFor(fileName: string): ParserPlugin[] {
  if (/\.[cm]?ts$/i.test(fileName)) return ["typescript", "decorators-legacy"];
  if (/\.tsx$/i.test(fileName)) return ["typescript", "jsx", "decorators-legacy"];
  return ["jsx", "decorators-legacy"];
}

/** How many times a file is parsed at most: each try costs a whole parse, so a big file gets fewer. */
function maxTries(length: number): number {
  return Math.min(16, Math.max(2, Math.floor(2_000_000 / (length + 1))));
}

/** The file's program, or undefined when it does not parse even with the lines at fault blanked. */
export function parseProgram(text: string, fileName: string): Program | undefined {
  const options: ParserOptions = {
    sourceType: "unambiguous",
    errorRecovery: true,
    attachComment: false,
    allowReturnOutsideFunction: true,
    allowAwaitOutsideFunction: true,
    allowImportExportEverywhere: true,
    allowUndeclaredExports: true,
    allowSuperOutsideMethod: true,
    allowNewTargetOutsideFunction: true,
    plugins: pluginsFor(fileName),
  };
  let source = text;
  for (let tries = maxTries(text.length); tries > 0; tries--) {
    try {
      return parser().parse(source, options).program;
    } catch (err) {
      const at = (err as { pos?: unknown }).pos;
      if (typeof at !== "number") return undefined; // not a syntax error (a stack overflow on absurd nesting)
      const blanked = blankLine(source, at);
      if (blanked === source) return undefined; // the error is on a blank line (at the end): nothing left to blank
      source = blanked;
    }
  }
  return undefined;
}

/** The text with the line holding `offset` made spaces, so every other offset stays where it was. */
function blankLine(text: string, offset: number): string {
  const at = Math.min(Math.max(offset, 0), text.length);
  let start = at;
  while (start > 0 && !isLineBreak(text.charCodeAt(start - 1))) start--;
  let end = at;
  while (end < text.length && !isLineBreak(text.charCodeAt(end))) end++;
  const line = text.slice(start, end);
  if (line.trim() === "") return text;
  return text.slice(0, start) + " ".repeat(line.length) + text.slice(end);
}

function isLineBreak(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}
