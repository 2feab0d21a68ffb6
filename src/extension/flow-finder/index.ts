import { tokenize, type Tokens } from "./tokenizer";
import { UNKNOWN_PARAMS, functionAt, paramsOf, readParams, type FlowParams } from "./params";
import { NOT_LITERAL, isIdent, isPunct, literalValue, matchAngle, matchBracket, matchBracketBack, propertyKey, splitTopLevel } from "./token-utils";

// Finds the flows a file defines, statically: calls of `flow` imported from "flowline" (also aliased,
// `import { flow as f }`, through a namespace, `fl.flow(...)`, or required), never inside comments,
// strings, templates, regular expressions or JSX text. Used by the CodeLens and the Run Flow… pick.
// No vscode here: it runs in plain Node and is tested there.

export type { FlowParams } from "./params";

export interface FoundFlow {
  /** Where the lens goes: the start of the statement that defines the flow (0-based line and column). */
  line: number;
  character: number;
  /** Offset of the `flow` call itself. */
  offset: number;
  /** The export that holds it (`default` for a default export), when it is exported. */
  exportName?: string;
  /** The flow's own name: the `name` option, else its function's name. */
  flowName?: string;
  /** What the user sees and the runner selects it by: the export name, else the flow's name. */
  label: string;
  /** What to pass to the runner as `flow` (export name or flow name). */
  target: string;
  params: FlowParams;
}

const MODULE = "flowline";
const SOURCE_EXTENSIONS = /\.(?:[cm]?[jt]sx?)$/i;

/** Whether a file name is one the finder reads; JSX is recognised in .jsx, .tsx and plain JavaScript. */
export function isFlowSourceFile(fileName: string): boolean {
  return SOURCE_EXTENSIONS.test(fileName) && !/\.d\.[cm]?ts$/i.test(fileName);
}

/** A cheap test before tokenizing: a file that never mentions the module defines no flow. */
export function mayDefineFlows(text: string): boolean {
  return text.includes(MODULE);
}

export function findFlows(text: string, fileName = "file.ts"): FoundFlow[] {
  if (!mayDefineFlows(text)) return [];
  const jsx = !/\.(?:[cm]?ts)$/i.test(fileName);
  const t = tokenize(text, { jsx });
  const { flowNames, namespaces } = flowBindings(t);
  if (flowNames.length === 0 && namespaces.length === 0) return [];
  const exportAliases = exportLists(t);
  const lines = lineStarts(text);
  const found: FoundFlow[] = [];
  const named = (i: number, names: string[]) => {
    for (const n of names) if (t.textIs(i, n)) return true;
    return false;
  };
  for (let i = 0; i < t.length; i++) {
    if (!t.isIdentAt(i)) continue;
    let open: number;
    if (named(i, flowNames)) open = i + 1;
    else if (named(i, namespaces) && (isPunct(t, i + 1, ".") || isPunct(t, i + 1, "?.")) && isIdent(t, i + 2, "flow")) open = i + 3;
    else continue;
    const callee = i;
    if (isPunct(t, i - 1, ".") || isPunct(t, i - 1, "?.") || isIdent(t, i - 1, "function")) continue;
    if (isPunct(t, open, "<")) open = matchAngle(t, open) + 1; // flow<Args>(…)
    if (open <= 0 || !isPunct(t, open, "(")) continue;
    const close = matchBracket(t, open);
    // A method named flow (`flow() { … }`, `flow(x): T`) or a declaration, not a call.
    if (close > 0 && (isPunct(t, close + 1, "{") || (isPunct(t, close + 1, ":") && !inObjectOrTernary(t, callee)))) continue;
    const call = readCall(t, open, close < 0 ? t.length : close);
    const holder = holderOf(t, callee, exportAliases);
    const { exportName } = holder;
    const flowName = call.name;
    const label = exportName && exportName !== "default" ? exportName : (flowName ?? exportName ?? "flow");
    const target = exportName ?? flowName ?? "flow";
    found.push({ ...position(lines, t.start(holder.statement)), offset: t.start(callee), exportName, flowName, label, target, params: call.params });
  }
  return found;
}

/** Local names bound to `flow`, and to the whole module, by imports and requires of "flowline". */
function flowBindings(t: Tokens): { flowNames: string[]; namespaces: string[] } {
  const flowNames = new Set<string>();
  const namespaces = new Set<string>();
  for (let i = 0; i < t.length; i++) {
    if (t.kind(i) !== "string" || t.literalText(i) !== MODULE) continue;
    if (isIdent(t, i - 1, "from")) {
      // import … from "flowline": walk back to `import` (`export … from` re-exports bind nothing here).
      let j = i - 2;
      while (j >= 0 && !isIdent(t, j, "import") && !isIdent(t, j, "export") && !isPunct(t, j, ";") && i - j < 4000) j--;
      if (j < 0 || !isIdent(t, j, "import") || isIdent(t, j + 1, "type")) continue;
      importClause(t, j + 1, i - 1, flowNames, namespaces);
    } else if (isPunct(t, i - 1, "(") && (isIdent(t, i - 2, "require") || isIdent(t, i - 2, "import"))) {
      // const { flow: f } = require("flowline")  /  const fl = require("flowline")  /  await import("flowline")
      let j = i - 3;
      if (isIdent(t, j, "await")) j--;
      if (!isPunct(t, j, "=")) continue;
      if (t.kind(j - 1) === "ident") namespaces.add(t.text(j - 1));
      else if (isPunct(t, j - 1, "}")) {
        const openBrace = matchBracketBack(t, j - 1);
        for (const [a, b] of openBrace < 0 ? [] : splitTopLevel(t, openBrace + 1, j - 1)) {
          if (!isIdent(t, a, "flow")) continue;
          flowNames.add(isPunct(t, a + 1, ":") && t.kind(a + 2) === "ident" && b > a + 2 ? t.text(a + 2) : "flow");
        }
      }
    }
  }
  return { flowNames: [...flowNames], namespaces: [...namespaces] };
}

/** `flow`, `{ flow as f, task }`, `* as fl`, `fl` (default), `fl, { flow }` between `import` and `from`. */
function importClause(t: Tokens, from: number, to: number, flowNames: Set<string>, namespaces: Set<string>): void {
  for (let i = from; i < to; i++) {
    if (isPunct(t, i, "*") && isIdent(t, i + 1, "as") && t.kind(i + 2) === "ident") {
      namespaces.add(t.text(i + 2));
      i += 2;
    } else if (isPunct(t, i, "{")) {
      const close = matchBracket(t, i);
      if (close < 0 || close > to) return;
      for (const [a, b] of splitTopLevel(t, i + 1, close)) {
        if (isIdent(t, a, "type") && b - a > 1 && !isIdent(t, a + 1, "as")) continue; // import { type X }
        if (propertyKey(t, a) !== "flow") continue;
        flowNames.add(isIdent(t, a + 1, "as") && t.kind(a + 2) === "ident" ? t.text(a + 2) : "flow");
      }
      i = close;
    } else if (t.kind(i) === "ident" && !isIdent(t, i, "type")) {
      namespaces.add(t.text(i)); // a default import: the module object under esModuleInterop
    }
  }
}

/** `export { a, b as c }` lists (without `from`) and `module.exports = { a, c: b }`: local name → exported name. */
function exportLists(t: Tokens): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < t.length; i++) {
    if (isIdent(t, i, "module") && isPunct(t, i + 1, ".") && isIdent(t, i + 2, "exports") && isPunct(t, i + 3, "=") && isPunct(t, i + 4, "{")) {
      const close = matchBracket(t, i + 4);
      for (const [a, b] of close < 0 ? [] : splitTopLevel(t, i + 5, close)) {
        if (t.kind(a) !== "ident") continue;
        if (b === a + 1) map.set(t.text(a), t.text(a));
        else if (isPunct(t, a + 1, ":") && b === a + 3 && t.kind(a + 2) === "ident") map.set(t.text(a + 2), t.text(a));
      }
      continue;
    }
    if (!isIdent(t, i, "export") || !isPunct(t, i + 1, "{")) continue;
    const close = matchBracket(t, i + 1);
    if (close < 0) continue;
    if (isIdent(t, close + 1, "from")) continue;
    for (const [a] of splitTopLevel(t, i + 2, close)) {
      if (t.kind(a) !== "ident") continue;
      const renamed = isIdent(t, a + 1, "as") && a + 2 < close ? (propertyKey(t, a + 2) ?? t.text(a + 2)) : t.text(a);
      map.set(t.text(a), renamed);
    }
    i = close;
  }
  return map;
}

/** `a ? flow(x) : …` and `{ k: flow(x) }`: a `:` after the call is not a return type there. */
function inObjectOrTernary(t: Tokens, callee: number): boolean {
  return isPunct(t, callee - 1, "?") || isPunct(t, callee - 1, ":") || isPunct(t, callee - 1, ",");
}

/** The options' `name` and `parameters`, and the function's name and parameters, of `flow(…)`. */
function readCall(t: Tokens, open: number, close: number): { name?: string; params: FlowParams } {
  const args = splitTopLevel(t, open + 1, close);
  let options: [number, number] | undefined;
  let fn: [number, number] | undefined;
  if (args.length >= 2) [options, fn] = args;
  else if (args.length === 1) fn = args[0];
  let name: string | undefined;
  let optionDefaults: Record<string, unknown> = {};
  if (options && isPunct(t, options[0], "{")) {
    const end = matchBracket(t, options[0]);
    for (const [a, b] of splitTopLevel(t, options[0] + 1, end < 0 ? options[1] : end)) {
      const key = propertyKey(t, a);
      if (key === undefined || !isPunct(t, a + 1, ":")) continue;
      const value = literalValue(t, a + 2, b);
      if (key === "name" && typeof value === "string") name = value;
      if (key === "parameters" && value !== NOT_LITERAL && value !== null && typeof value === "object" && !Array.isArray(value)) {
        optionDefaults = value as Record<string, unknown>;
      }
    }
  }
  let params = UNKNOWN_PARAMS;
  if (fn) {
    const found = functionAt(t, fn[0], fn[1]);
    if (found) {
      name ??= found.name;
      params = paramsOf(t, found);
    } else if (fn[1] - fn[0] === 1 && t.kind(fn[0]) === "ident") {
      // flow(myFunction): a function declared elsewhere in the file has its own name.
      const declared = findDeclaredFunction(t, t.text(fn[0]));
      if (declared) {
        name ??= declared.name;
        params = declared.params;
      }
    }
  }
  return { name, params: { ...params, defaults: { ...params.defaults, ...optionDefaults } } };
}

function findDeclaredFunction(t: Tokens, name: string): { name: string; params: FlowParams } | undefined {
  for (let i = 0; i < t.length - 2; i++) {
    if (!isIdent(t, i + 1, name)) continue;
    if (isIdent(t, i, "function") && isPunct(t, i + 2, "(")) return { name, params: readParams(t, i + 2) };
    if ((isIdent(t, i, "const") || isIdent(t, i, "let")) && isPunct(t, i + 2, "=")) {
      // const f = async () => …: the arrow takes the variable's name.
      const found = functionAt(t, i + 3, t.length);
      if (found) return { name: found.name ?? name, params: paramsOf(t, found) };
    }
  }
  return undefined;
}

/**
 * What holds the flow made at `callee`: `export const x = …`, `const x = …` exported later by a list,
 * `export default …`, `exports.x = …`, `module.exports = …`. Returns the statement's first token.
 */
function holderOf(t: Tokens, callee: number, exportAliases: Map<string, string>): { statement: number; exportName?: string } {
  let i = callee - 1;
  if (isIdent(t, i, "await")) i--;
  if (isIdent(t, i, "default") && isIdent(t, i - 1, "export")) return { statement: i - 1, exportName: "default" };
  if (!isPunct(t, i, "=")) return { statement: callee };
  // Walk back over a type annotation to the bound name: `const x: Flow<[{ a: string }], void> = flow(…)`.
  for (let j = i - 1, steps = 0; j >= 0 && steps < 400; steps++, j--) {
    if (isPunct(t, j, ";") || isPunct(t, j, "{") || isPunct(t, j, "=") || isPunct(t, j, "(") || isPunct(t, j, "[")) break;
    if (isPunct(t, j, ")") || isPunct(t, j, "]") || isPunct(t, j, "}")) {
      j = matchBracketBack(t, j);
      if (j < 0) break;
      continue;
    }
    if (t.kind(j) === "ident" && (isIdent(t, j - 1, "const") || isIdent(t, j - 1, "let") || isIdent(t, j - 1, "var"))) {
      const exported = isIdent(t, j - 2, "export");
      const local = t.text(j);
      return { statement: exported ? j - 2 : j - 1, exportName: exported ? local : exportAliases.get(local) };
    }
  }
  // exports.x = / module.exports.x = / module.exports =
  const m = i - 1;
  if (t.kind(m) === "ident" && isPunct(t, m - 1, ".") && isIdent(t, m - 2, "exports")) {
    const start = isPunct(t, m - 3, ".") && isIdent(t, m - 4, "module") ? m - 4 : m - 2;
    return { statement: start, exportName: t.text(m) };
  }
  if (isIdent(t, m, "exports") && isPunct(t, m - 1, ".") && isIdent(t, m - 2, "module")) return { statement: m - 2, exportName: "default" };
  return { statement: callee };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; character: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}
