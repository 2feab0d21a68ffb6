import type { Tokens } from "./tokenizer";

// Small helpers over a token list: bracket matching, splitting on top-level commas, literal values.

export function isPunct(t: Tokens, i: number, value: string): boolean {
  return t.is(i, "punct", value);
}

export function isIdent(t: Tokens, i: number, value?: string): boolean {
  return t.is(i, "ident", value);
}

/**
 * Brackets as numbers, so matching allocates nothing: an opener gives the char code of its closer, a
 * closer its own char code negated, anything else 0.
 */
function bracket(t: Tokens, i: number): number {
  if (t.kind(i) !== "punct" || t.end(i) - t.start(i) !== 1) return 0;
  switch (t.src.charCodeAt(t.start(i))) {
    case 40: return 41; // ( → )
    case 91: return 93; // [ → ]
    case 123: return 125; // { → }
    case 41: return -41;
    case 93: return -93;
    case 125: return -125;
    default: return 0;
  }
}

export function isOpenBracket(t: Tokens, i: number): boolean {
  return bracket(t, i) > 0;
}

/** Index of the bracket closing the one at `open`, or -1 when the file ends first. */
export function matchBracket(t: Tokens, open: number): number {
  const stack: number[] = [];
  for (let i = open; i < t.length; i++) {
    const b = bracket(t, i);
    if (b > 0) stack.push(b);
    else if (b < 0) {
      // A stray closer of another kind (half-typed code): keep looking for ours.
      if (stack[stack.length - 1] !== -b) continue;
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** Index of the bracket opening the one that closes at `close` (walking back), or -1. */
export function matchBracketBack(t: Tokens, close: number): number {
  const stack: number[] = [];
  for (let i = close; i >= 0; i--) {
    const b = bracket(t, i);
    if (b < 0) stack.push(-b);
    else if (b > 0) {
      if (stack[stack.length - 1] !== b) continue;
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

/** Index of the `>` that closes the type arguments starting at `<`, or -1. */
export function matchAngle(t: Tokens, open: number): number {
  let depth = 0;
  for (let i = open; i < t.length && i < open + 2000; i++) {
    if (t.kind(i) !== "punct") continue;
    if (isPunct(t, i, "<")) depth++;
    else if (isPunct(t, i, ">")) {
      if (--depth === 0) return i;
    } else if (isOpenBracket(t, i)) {
      const close = matchBracket(t, i);
      if (close < 0) return -1;
      i = close;
    } else if (isPunct(t, i, ";") || isPunct(t, i, ")") || isPunct(t, i, "}")) return -1;
  }
  return -1;
}

/** [start, end) ranges of the comma-separated items between `from` and `to` (exclusive), at depth 0. */
export function splitTopLevel(t: Tokens, from: number, to: number): Array<[number, number]> {
  const items: Array<[number, number]> = [];
  let start = from;
  for (let i = from; i < to; i++) {
    if (isOpenBracket(t, i)) {
      const close = matchBracket(t, i);
      if (close < 0 || close >= to) break;
      i = close;
    } else if (isPunct(t, i, "<")) {
      // Type arguments may hold commas: `Record<string, number>`.
      const close = matchAngle(t, i);
      if (close > 0 && close < to) i = close;
    } else if (isPunct(t, i, ",")) {
      items.push([start, i]);
      start = i + 1;
    }
  }
  if (start < to) items.push([start, to]);
  return items;
}

/** Index of the first token in [from, to) that is `value` at bracket depth 0, or -1. */
export function findTopLevel(t: Tokens, from: number, to: number, value: string): number {
  for (let i = from; i < to; i++) {
    if (t.kind(i) !== "punct") continue;
    if (isPunct(t, i, value)) return i;
    if (isOpenBracket(t, i)) {
      const close = matchBracket(t, i);
      if (close < 0) return -1;
      i = close;
    }
  }
  return -1;
}

export const NOT_LITERAL: unique symbol = Symbol("not literal");

/**
 * The value of a JSON-like literal spanning exactly tokens [from, to): strings, numbers, booleans, null,
 * plain templates, arrays and objects of those. Anything else (a call, an identifier, `undefined`) is
 * NOT_LITERAL: such a default is left to the function, as the engine does.
 */
export function literalValue(t: Tokens, from: number, to: number): unknown {
  // `"x" as const` and `1 satisfies number` keep their value.
  for (let i = from + 1; i < to; i++) if (isIdent(t, i, "as") || isIdent(t, i, "satisfies")) to = i;
  if (from >= to) return NOT_LITERAL;
  const kind = t.kind(from);
  if (to - from === 1) {
    if (kind === "string" || kind === "template") return t.literalText(from) ?? NOT_LITERAL;
    if (kind === "number") return numberValue(t.text(from));
    if (kind === "ident") {
      const word = t.text(from);
      return word === "true" ? true : word === "false" ? false : word === "null" ? null : NOT_LITERAL;
    }
    return NOT_LITERAL;
  }
  const minus = isPunct(t, from, "-");
  if ((minus || isPunct(t, from, "+")) && to - from === 2 && t.kind(from + 1) === "number") {
    const n = numberValue(t.text(from + 1));
    return typeof n === "number" ? (minus ? -n : n) : NOT_LITERAL;
  }
  if (isPunct(t, from, "[") && matchBracket(t, from) === to - 1) {
    const out: unknown[] = [];
    for (const [a, b] of splitTopLevel(t, from + 1, to - 1)) {
      const v = literalValue(t, a, b);
      if (v === NOT_LITERAL) return NOT_LITERAL;
      out.push(v);
    }
    return out;
  }
  if (isPunct(t, from, "{") && matchBracket(t, from) === to - 1) {
    const out: Record<string, unknown> = {};
    for (const [a, b] of splitTopLevel(t, from + 1, to - 1)) {
      const key = propertyKey(t, a);
      if (key === undefined || !isPunct(t, a + 1, ":")) return NOT_LITERAL;
      const v = literalValue(t, a + 2, b);
      if (v === NOT_LITERAL) return NOT_LITERAL;
      out[key] = v;
    }
    return out;
  }
  return NOT_LITERAL;
}

/** An object key written as a name, a string or a number. */
export function propertyKey(t: Tokens, i: number): string | undefined {
  const kind = t.kind(i);
  if (kind === "ident" || kind === "number") return t.text(i);
  if (kind === "string") return t.literalText(i);
  return undefined;
}

function numberValue(text: string): number | typeof NOT_LITERAL {
  if (/n$/.test(text)) return NOT_LITERAL; // BigInt is not JSON
  const n = Number(text.replace(/_/g, ""));
  return Number.isFinite(n) ? n : NOT_LITERAL;
}
