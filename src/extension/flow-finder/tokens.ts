// The tokens of a source text, kept in typed arrays: a 5 MB file makes millions of tokens, and objects
// for each would cost more in garbage collection than the scan itself. Text is sliced only when asked for.

export type TokenKind = "ident" | "punct" | "string" | "template" | "number" | "regex" | "jsx";

const KINDS: readonly TokenKind[] = ["ident", "punct", "string", "template", "number", "regex", "jsx"];
export const IDENT = 0, PUNCT = 1, STRING = 2, TEMPLATE = 3, NUMBER = 4, REGEX = 5, JSX = 6;
/** A template chunk next to a `${…}`: not a plain literal. */
export const TEMPLATE_PART = 7;

/** The tokens of a source text, in order (a JSX element's token follows the tokens of its `{…}` parts). */
export class Tokens {
  length = 0;
  private kinds: Uint8Array;
  private starts: Int32Array;
  private ends: Int32Array;

  constructor(readonly src: string) {
    // Code averages a token per 2–4 characters: start near that and rarely grow.
    const capacity = Math.max(64, src.length >> 1);
    this.kinds = new Uint8Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
  }

  push(kind: number, start: number, end: number): void {
    if (this.length === this.kinds.length) {
      const kinds = new Uint8Array(this.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
      const starts = new Int32Array(this.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const ends = new Int32Array(this.length * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.kinds[this.length] = kind;
    this.starts[this.length] = start;
    this.ends[this.length++] = end;
  }

  kind(i: number): TokenKind | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const k = this.kinds[i];
    return k === TEMPLATE_PART ? "template" : KINDS[k];
  }

  start(i: number): number {
    return this.starts[i];
  }

  end(i: number): number {
    return this.ends[i];
  }

  /** The token's source text. */
  text(i: number): string {
    return this.src.slice(this.starts[i], this.ends[i]);
  }

  /** Whether token `i` is of `kind` and, if given, has exactly the text `value` (no string is made). */
  is(i: number, kind: TokenKind, value?: string): boolean {
    if (i < 0 || i >= this.length || this.kind(i) !== kind) return false;
    return value === undefined || this.textIs(i, value);
  }

  /** Whether token `i`'s text is exactly `value`, whatever its kind. */
  textIs(i: number, value: string): boolean {
    const start = this.starts[i];
    return this.ends[i] - start === value.length && this.src.charCodeAt(start) === value.charCodeAt(0) && this.src.startsWith(value, start);
  }

  isIdentAt(i: number): boolean {
    return i >= 0 && i < this.length && this.kinds[i] === IDENT;
  }

  /** A string's value (simple escapes decoded) or a plain template's text; undefined for anything else. */
  literalText(i: number): string | undefined {
    const k = this.kinds[i];
    if (i >= this.length || (k !== STRING && k !== TEMPLATE)) return undefined;
    const start = this.starts[i] + 1;
    const end = this.src.charCodeAt(this.ends[i] - 1) === this.src.charCodeAt(start - 1) && this.ends[i] - start >= 1 ? this.ends[i] - 1 : this.ends[i];
    const raw = this.src.slice(start, end);
    return k === STRING ? unescape(raw) : raw;
  }

  truncate(length: number): void {
    this.length = length;
  }

  lastKind(): number {
    return this.length === 0 ? -1 : this.kinds[this.length - 1];
  }
}

function unescape(raw: string): string {
  if (!raw.includes("\\")) return raw;
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_, e: string) => {
    if (e[0] === "u" || e[0] === "x") return String.fromCodePoint(parseInt(e.replace(/[ux{}]/g, ""), 16));
    return ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", "0": "\0", "\n": "", "\r\n": "", "\r": "", "\u2028": "", "\u2029": "" } as Record<string, string>)[e] ?? e;
  });
}
