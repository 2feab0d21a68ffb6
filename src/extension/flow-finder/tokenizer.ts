// A small JavaScript/TypeScript tokenizer for finding flows statically (CodeLens, Run Flow…). It needs to
// be exact about one thing only: what is code and what is a comment, a string, a template chunk, a regular
// expression or JSX text, so that `flow(` inside any of those is never mistaken for a call. It never throws
// and recovers at the end of a line (strings and regular expressions cannot span lines), so a file that is
// half typed still yields its flows. One pass, no parser dependency; tokens live in typed arrays and their
// text is sliced only when asked for, so a 5 MB file costs no garbage worth speaking of.

import { IDENT, JSX, NUMBER, PUNCT, REGEX, STRING, TEMPLATE, TEMPLATE_PART, Tokens } from "./tokens";

export { Tokens, type TokenKind } from "./tokens";

export interface TokenizeOptions {
  /** Recognise JSX (`.jsx`, `.tsx`, `.js`): in `.ts` files `<T>x` is a type assertion, never an element. */
  jsx: boolean;
}

// After these words an expression starts, so `/` begins a regular expression and `<` may begin JSX.
const EXPRESSION_KEYWORDS = new Set([
  "return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else",
  "yield", "await", "extends", "default",
]);
// Multi-character punctuators by first character code, longest first. `>` is never merged
// (`Array<Array<T>>=` in types), as TypeScript's own scanner does.
const PUNCTUATORS: Array<readonly string[] | undefined> = [];
for (const group of [["..."], ["===", "=>", "=="], ["!==", "!="], ["**=", "*=", "**"], ["<<=", "<=", "<<"], ["&&=", "&&", "&="], ["||=", "||", "|="], ["??=", "??", "?."], ["++", "+="], ["--", "-="], ["%="], ["^="]]) {
  PUNCTUATORS[group[0].charCodeAt(0)] = group;
}
const MAX_JSX_RETRIES = 32;
const MAX_DEPTH = 500;

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 36 || c === 95 || c > 127 || c === 92;
}
function isIdPart(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isLineBreak(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}
function isJsxNameChar(c: number): boolean {
  return isIdPart(c) || c === 46 || c === 58 || c === 45; // . : -
}

class Scanner {
  readonly tokens: Tokens;
  private pos = 0;
  private jsxRetries = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private jsx: boolean,
  ) {
    this.tokens = new Tokens(src);
  }

  run(): Tokens {
    if (this.src.startsWith("#!")) this.skipLine();
    this.scanCode(false);
    return this.tokens;
  }

  private push(kind: number, start: number): void {
    this.tokens.push(kind, start, this.pos);
  }

  private skipLine(): void {
    while (this.pos < this.src.length && !isLineBreak(this.src.charCodeAt(this.pos))) this.pos++;
  }

  /** Whether an expression may start here, judged by the previous token (the classic regex/division rule). */
  private expressionExpected(): boolean {
    const t = this.tokens;
    const last = t.length - 1;
    switch (t.lastKind()) {
      case -1:
        return true;
      case IDENT:
        return EXPRESSION_KEYWORDS.has(t.text(last));
      case PUNCT: {
        const c = this.src.charCodeAt(t.start(last));
        const len = t.end(last) - t.start(last);
        // ) ] } and postfix ++ / -- end an expression.
        return !((len === 1 && (c === 41 || c === 93 || c === 125)) || (len === 2 && (c === 43 || c === 45) && this.src.charCodeAt(t.start(last) + 1) === c));
      }
      default:
        return false;
    }
  }

  /** Whitespace and comments. */
  private skipTrivia(): void {
    const src = this.src;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === 32 || c === 9 || isLineBreak(c) || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) this.pos++;
      else if (c === 47 && src.charCodeAt(this.pos + 1) === 47) this.skipLine();
      else if (c === 47 && src.charCodeAt(this.pos + 1) === 42) {
        const end = src.indexOf("*/", this.pos + 2);
        this.pos = end < 0 ? src.length : end + 2;
      } else break;
    }
  }

  /** Code until the end, or (inside `${…}` and JSX `{…}`) until the `}` that closes it. */
  private scanCode(untilBrace: boolean): void {
    const src = this.src;
    let braces = 0;
    this.depth++;
    while (true) {
      this.skipTrivia();
      if (this.pos >= src.length) break;
      const start = this.pos;
      const c = src.charCodeAt(this.pos);
      if (isIdStart(c) || (c === 35 && isIdStart(src.charCodeAt(this.pos + 1)))) {
        this.pos++;
        while (this.pos < src.length && isIdPart(src.charCodeAt(this.pos))) this.pos++;
        this.push(IDENT, start);
      } else if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(this.pos + 1)))) {
        this.scanNumber();
      } else if (c === 34 || c === 39) {
        this.scanString(c);
      } else if (c === 96) {
        this.scanTemplate();
      } else if (c === 47 && this.expressionExpected() && this.scanRegex()) {
        // consumed
      } else if (c === 60 && this.jsx && this.depth < MAX_DEPTH && this.expressionExpected() && this.tryJsx()) {
        // consumed
      } else if (c === 123) {
        braces++;
        this.pos++;
        this.push(PUNCT, start);
      } else if (c === 125) {
        if (untilBrace && braces === 0) {
          this.pos++;
          break;
        }
        braces--;
        this.pos++;
        this.push(PUNCT, start);
      } else {
        this.scanPunct(c);
      }
    }
    this.depth--;
  }

  private scanNumber(): void {
    const src = this.src;
    const start = this.pos;
    const hex = src.charCodeAt(start) === 48 && (src.charCodeAt(start + 1) | 32) === 120;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (isIdPart(c) || c === 46) this.pos++;
      else if ((c === 43 || c === 45) && !hex && (src.charCodeAt(this.pos - 1) | 32) === 101) this.pos++; // 1e+5
      else break;
    }
    this.push(NUMBER, start);
  }

  private scanString(quote: number): void {
    const src = this.src;
    const start = this.pos++;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === quote) {
        this.pos++;
        break;
      }
      if (isLineBreak(c)) break; // unterminated: recover at the end of the line
      this.pos += c === 92 ? (src.charCodeAt(this.pos + 1) === 13 && src.charCodeAt(this.pos + 2) === 10 ? 3 : 2) : 1;
    }
    this.push(STRING, start);
  }

  /** A template literal: its text chunks become `template` tokens, its `${…}` parts are scanned as code. */
  private scanTemplate(): void {
    const src = this.src;
    let start = this.pos++;
    let simple = true;
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === 92) this.pos += 2;
      else if (c === 96) {
        this.pos++;
        this.push(simple ? TEMPLATE : TEMPLATE_PART, start);
        return;
      } else if (c === 36 && src.charCodeAt(this.pos + 1) === 123) {
        this.pos += 2;
        this.push(TEMPLATE_PART, start);
        simple = false;
        if (this.depth >= MAX_DEPTH) return;
        this.scanCode(true);
        start = this.pos - 1;
      } else this.pos++;
    }
    this.push(TEMPLATE_PART, start);
  }

  /** A regular expression literal; false (nothing consumed) when the line ends first: then it was `/`. */
  private scanRegex(): boolean {
    const src = this.src;
    const start = this.pos;
    let p = this.pos + 1;
    let inClass = false;
    while (p < src.length) {
      const c = src.charCodeAt(p);
      if (isLineBreak(c)) return false;
      if (c === 92) p += 2;
      else if (c === 91) (inClass = true), p++;
      else if (c === 93) (inClass = false), p++;
      else if (c === 47 && !inClass) break;
      else p++;
    }
    if (p >= src.length) return false;
    p++;
    while (p < src.length && isIdPart(src.charCodeAt(p))) p++; // flags
    this.pos = p;
    this.push(REGEX, start);
    return true;
  }

  private scanPunct(c: number): void {
    const start = this.pos;
    const candidates = PUNCTUATORS[c];
    if (candidates) {
      for (const p of candidates) {
        if (this.src.startsWith(p, start) && !(p === "?." && isDigit(this.src.charCodeAt(start + 2)))) {
          this.pos += p.length;
          this.push(PUNCT, start);
          return;
        }
      }
    }
    this.pos++;
    this.push(PUNCT, start);
  }

  /**
   * At `<` where an expression may start: scan a JSX element or fragment. If it does not close (a generic
   * arrow function or a type we misread), rewind and treat `<` as punctuation; after many such misreads
   * stop trying, so a pathological file stays linear.
   */
  private tryJsx(): boolean {
    const save = { pos: this.pos, count: this.tokens.length };
    const next = this.src.charCodeAt(this.pos + 1);
    if (!(isIdStart(next) || next === 62)) return false;
    // TSX generic arrow functions: `<T,>(x: T) => x` and `<T extends U>(…)`.
    if (/^<\s*[\w$]+\s*(,|extends\s)/.test(this.src.slice(this.pos, this.pos + 80))) return false;
    if (this.scanJsxElement()) return true;
    this.pos = save.pos;
    this.tokens.truncate(save.count);
    if (++this.jsxRetries >= MAX_JSX_RETRIES) this.jsx = false;
    return false;
  }

  /** From `<` to the end of the element. Returns false when the source ends before it closes. */
  private scanJsxElement(): boolean {
    if (this.depth >= MAX_DEPTH) return false;
    this.depth++;
    try {
      return this.scanJsxElementBody();
    } finally {
      this.depth--;
    }
  }

  private scanJsxElementBody(): boolean {
    const src = this.src;
    const start = this.pos;
    this.pos++; // <
    const tagStart = this.pos;
    while (this.pos < src.length && isJsxNameChar(src.charCodeAt(this.pos))) this.pos++;
    const tag = src.slice(tagStart, this.pos);
    // Attributes.
    while (true) {
      this.skipTrivia();
      if (this.pos >= src.length) return false;
      const c = src.charCodeAt(this.pos);
      if (c === 47 && src.charCodeAt(this.pos + 1) === 62) {
        this.pos += 2;
        this.push(JSX, start);
        return true;
      }
      if (c === 62) {
        this.pos++;
        break;
      }
      if (c === 34 || c === 39) {
        const end = src.indexOf(src[this.pos], this.pos + 1); // JSX attribute strings have no escapes
        if (end < 0) return false;
        this.pos = end + 1;
      } else if (c === 123) {
        this.pos++;
        this.scanCode(true);
      } else if (c === 60) return false;
      else this.pos++;
    }
    // Children: text, `{expression}`, nested elements, until `</tag>`.
    while (this.pos < src.length) {
      const c = src.charCodeAt(this.pos);
      if (c === 123) {
        this.pos++;
        this.scanCode(true);
      } else if (c === 60 && src.charCodeAt(this.pos + 1) === 47) {
        const close = src.indexOf(">", this.pos);
        if (close < 0 || src.slice(this.pos + 2, close).trim() !== tag) return false;
        this.pos = close + 1;
        this.push(JSX, start);
        return true;
      } else if (c === 60) {
        if (!this.scanJsxElement()) return false;
      } else this.pos++;
    }
    return false;
  }
}

export function tokenize(src: string, options: TokenizeOptions): Tokens {
  return new Scanner(src, options.jsx).run();
}
