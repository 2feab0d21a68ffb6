import type { Tokens } from "./tokenizer";
import { NOT_LITERAL, findTopLevel, isIdent, isPunct, literalValue, matchAngle, matchBracket, propertyKey, splitTopLevel } from "./token-utils";

// A flow function's parameters as the engine will name them (src/engine/params.ts), read from the source:
// one destructured object → its keys; otherwise the declared names in order. Only literal defaults are
// known; TypeScript annotations are skipped.

export interface FlowParams {
  kind: "none" | "object" | "positional" | "unknown";
  /** Declared names, in order (a rest parameter or rest element excluded). */
  names: string[];
  /** Literal defaults by name (option `parameters` merged over signature defaults). */
  defaults: Record<string, unknown>;
  /** Any key is accepted (a rest element, a single plain parameter, or a shape we could not read). */
  open: boolean;
}

export const UNKNOWN_PARAMS: FlowParams = { kind: "unknown", names: [], defaults: {}, open: true };
const OPEN_OBJECT: FlowParams = { kind: "object", names: [], defaults: {}, open: true };

export interface FunctionAt {
  /** Index of the parameter list's `(` (-1 for `x => …`). */
  paramsOpen: number;
  name?: string;
}

/** The function expression starting at token `from` (an arrow function or a function expression, perhaps async). */
export function functionAt(t: Tokens, from: number, to: number): FunctionAt | undefined {
  let i = from;
  if (isIdent(t, i, "async") && i + 1 < to && !isPunct(t, i + 1, "=>")) i++;
  if (isIdent(t, i, "function")) {
    i++;
    if (isPunct(t, i, "*")) i++;
    const name = t.kind(i) === "ident" ? t.text(i++) : undefined;
    if (isPunct(t, i, "<")) i = matchAngle(t, i) + 1;
    return isPunct(t, i, "(") ? { paramsOpen: i, name } : undefined;
  }
  if (isPunct(t, i, "<")) {
    const close = matchAngle(t, i);
    if (close < 0) return undefined;
    i = close + 1;
  }
  if (isPunct(t, i, "(")) {
    const close = matchBracket(t, i);
    // `(…) =>` or `(…): Type =>`
    if (close > 0 && (isPunct(t, close + 1, "=>") || isPunct(t, close + 1, ":"))) return { paramsOpen: i };
    return undefined;
  }
  // `x => …`: a single plain parameter.
  if (t.kind(i) === "ident" && isPunct(t, i + 1, "=>")) return { paramsOpen: -1 };
  return undefined;
}

/** The parameters of a function found by functionAt. */
export function paramsOf(t: Tokens, fn: FunctionAt): FlowParams {
  return fn.paramsOpen < 0 ? OPEN_OBJECT : readParams(t, fn.paramsOpen);
}

/** The parameters of the list whose `(` is at `open`. */
export function readParams(t: Tokens, open: number): FlowParams {
  const close = matchBracket(t, open);
  if (close < 0) return UNKNOWN_PARAMS;
  const list = splitTopLevel(t, open + 1, close).filter(([a, b]) => b > a && !isIdent(t, a, "this"));
  if (list.length === 0) return { kind: "none", names: [], defaults: {}, open: false };
  if (list.length === 1 && isPunct(t, list[0][0], "{")) return readObjectPattern(t, list[0][0], list[0][1]);
  // `(opts) =>` called with one plain object: its keys are the parameters (engine convention).
  if (list.length === 1 && isPlainIdent(t, list[0][0], list[0][1])) return OPEN_OBJECT;
  const out: FlowParams = { kind: "positional", names: [], defaults: {}, open: false };
  list.forEach(([a, b], index) => {
    if (isPunct(t, a, "...")) {
      out.open = true; // the rest parameter is passed by its name, as a list
      return;
    }
    const name = t.kind(a) === "ident" ? t.text(a) : `arg${index}`;
    out.names.push(name);
    const eq = findTopLevel(t, a, b, "=");
    if (eq > 0) setDefault(out, name, literalValue(t, eq + 1, b));
  });
  return out;
}

/** `{ a, b = 1, c: renamed = "x", ...rest }: Type = { … }` */
function readObjectPattern(t: Tokens, open: number, end: number): FlowParams {
  const close = matchBracket(t, open);
  if (close < 0) return UNKNOWN_PARAMS;
  const out: FlowParams = { kind: "object", names: [], defaults: {}, open: false };
  for (const [a, b] of splitTopLevel(t, open + 1, close)) {
    if (isPunct(t, a, "...") || isPunct(t, a, "[")) {
      out.open = true;
      continue;
    }
    const key = propertyKey(t, a);
    if (key === undefined) continue;
    out.names.push(key);
    // The default follows the entry's top-level `=` (`c: d = 1`; a nested pattern has its own).
    const colon = findTopLevel(t, a + 1, b, ":");
    const eq = findTopLevel(t, colon > 0 ? colon + 1 : a + 1, b, "=");
    if (eq > 0) setDefault(out, key, literalValue(t, eq + 1, b));
  }
  // A literal default for the whole argument fills names the pattern gives no default.
  const eq = findTopLevel(t, close + 1, end, "=");
  if (eq > 0) {
    const whole = literalValue(t, eq + 1, end);
    if (whole !== null && typeof whole === "object" && !Array.isArray(whole)) {
      for (const [k, v] of Object.entries(whole)) if (!(k in out.defaults)) out.defaults[k] = v;
    }
  }
  return out;
}

function setDefault(out: FlowParams, name: string, value: unknown): void {
  if (value !== NOT_LITERAL) out.defaults[name] = value;
}

/** `opts`, `opts?: T`, `opts: T`, `opts = …`: one plain name. */
function isPlainIdent(t: Tokens, a: number, b: number): boolean {
  if (t.kind(a) !== "ident") return false;
  return b === a + 1 || isPunct(t, a + 1, ":") || isPunct(t, a + 1, "?") || isPunct(t, a + 1, "=");
}
