// The parameters of a flow or task (the named values a run records and the CLI passes), read from its function.
// User functions arrive compiled by esbuild, so `Function.prototype.toString` gives JavaScript with
// destructuring and defaults intact. We parse it with acorn once per function and keep a small spec;
// binding a call to named parameters then runs on every task run, so it is plain loops, no parsing.
//
// Conventions (documented for the CLI, the extension and the recorded runs):
// - kind "object": one destructured object parameter. Parameters are that object, defaults filled in.
// - kind "positional": parameters are named from the declared list; a rest parameter collects a list;
//   extra arguments with no rest parameter are recorded as "arg<i>" (i = their 0-based position).
//   A non-identifier parameter (`[x, y]`, or an object pattern that is not the only parameter) is "arg<i>".
// - A single plain identifier parameter (`(opts) =>`) called with one plain object follows the object
//   convention: parameters are that object's keys.
// - Precedence: explicit call values, then option defaults (`parameters` in the options), then literal
//   signature defaults. A default that is not a literal is left to the function: it is absent from
//   the parameters when not given, and listed in `unknownDefaults`.

import { parse } from "acorn";
import type { Expression, Pattern, Program } from "acorn";
import { UserError } from "./errors";
import { argumentIndex, isJsonValue, unknownParameters, type FlowParameters, type ParamKind, type ParameterSpec } from "./parameter-specs";
import { isPlainObject } from "../shared/objects";

export type { ParamKind } from "./parameter-specs";

export interface ParamSpec {
  kind: ParamKind;
  /** "object": the pattern's top-level keys; "positional": declared names in order (not the rest). */
  names: string[];
  /** The rest parameter ("positional") or rest element ("object") name, if any. */
  rest?: string;
  /** Literal defaults known statically, by name. Shared and frozen: never mutate, bind clones them. */
  defaults: Record<string, unknown>;
  /** Names whose default is an expression we cannot evaluate (`= new Date()`): left to the function. */
  unknownDefaults: string[];
  /** "object": a `...rest` element or a computed key, so any extra key is accepted. */
  open: boolean;
  /** "object": the literal default of the whole argument, `({ a } = { a: 1 })`, used when called with nothing. */
  argumentDefault?: Record<string, unknown>;
  /** "object": the whole argument has a non-literal default, so a call with nothing is left to the function. */
  argumentDefaultUnknown: boolean;
}

export interface BoundArguments {
  /** Named parameters as recorded for the run (shown, used in storage keys and cache keys). */
  parameters: Record<string, unknown>;
  /** What to call the function with: `fn(...callArgs)`. */
  callArgs: unknown[];
}

const NOT_LITERAL: unique symbol = Symbol("not literal");
const hasOwn = Object.prototype.hasOwnProperty;
/** Any function at all: its source is read, it is never called through this type. */
export type AnyFunction = (...args: never[]) => unknown;

const cache = new WeakMap<AnyFunction, ParamSpec>();
const EMPTY_DEFAULTS: Record<string, unknown> = Object.freeze({});

const UNKNOWN_SPEC: ParamSpec = freezeSpec({
  kind: "unknown", names: [], defaults: {}, unknownDefaults: [], open: true, argumentDefaultUnknown: false,
});

/** The parameter spec of a function, parsed once and cached. Never throws. */
export function paramSpec(fn: AnyFunction): ParamSpec {
  let spec = cache.get(fn);
  if (spec === undefined) cache.set(fn, (spec = computeSpec(fn)));
  return spec;
}

function computeSpec(fn: AnyFunction): ParamSpec {
  try {
    // Not fn.toString(): a user function may override it.
    const src = Function.prototype.toString.call(fn);
    // Native and bound functions: nothing to read, and parsing would only throw.
    if (src.endsWith("[native code] }")) return UNKNOWN_SPEC;
    const params = findParams(src);
    return params === undefined ? UNKNOWN_SPEC : freezeSpec(specFromParams(params));
  } catch {
    return UNKNOWN_SPEC;
  }
}

/** The parameter list of the function in `src`, trying the shapes `toString` can produce. */
function findParams(src: string): Pattern[] | undefined {
  // Script first (sloppy code parses); module only as a fallback for things like `import.meta`.
  for (const sourceType of ["script", "module"] as const) {
    // Function expression/declaration, arrow, or class: as a parenthesised expression.
    const asExpr = expressionOf(tryParse("(" + src + "\n)", sourceType));
    if (asExpr !== undefined) {
      if (asExpr.type === "ArrowFunctionExpression" || asExpr.type === "FunctionExpression") return asExpr.params;
      if (asExpr.type === "ClassExpression") {
        for (const m of asExpr.body.body) {
          if (m.type === "MethodDefinition" && m.kind === "constructor") return m.value.params;
        }
        return [];
      }
    }
    // Object-literal method, getter or setter: `foo(a) {}`, `async *gen() {}`, `["k"](x) {}`.
    const asObj = expressionOf(tryParse("({" + src + "\n})", sourceType));
    if (asObj !== undefined && asObj.type === "ObjectExpression" && asObj.properties.length === 1) {
      const p = asObj.properties[0];
      if (p.type === "Property" && p.value.type === "FunctionExpression") return p.value.params;
    }
    // Class-only members, e.g. private methods `#foo(a) {}`.
    const asClass = expressionOf(tryParse("(class{" + src + "\n})", sourceType));
    if (asClass !== undefined && asClass.type === "ClassExpression" && asClass.body.body.length === 1) {
      const m = asClass.body.body[0];
      if (m.type === "MethodDefinition") return m.value.params;
    }
  }
  return undefined;
}

function tryParse(code: string, sourceType: "script" | "module"): Program | undefined {
  try { return parse(code, { ecmaVersion: "latest", sourceType }); } catch { return undefined; }
}

function expressionOf(program: Program | undefined): Expression | undefined {
  if (program === undefined || program.body.length !== 1) return undefined;
  const stmt = program.body[0];
  return stmt.type === "ExpressionStatement" ? (stmt.expression as Expression) : undefined;
}

function specFromParams(params: Pattern[]): ParamSpec {
  const defaults: Record<string, unknown> = {};
  const unknownDefaults: string[] = [];
  if (params.length === 0) return { kind: "none", names: [], defaults, unknownDefaults, open: false, argumentDefaultUnknown: false };
  const only = params[0];
  const objectPattern =
    params.length !== 1 ? undefined
    : only.type === "ObjectPattern" ? only
    : only.type === "AssignmentPattern" && only.left.type === "ObjectPattern" ? only.left
    : undefined;

  if (objectPattern !== undefined) {
    const names: string[] = [];
    let open = false;
    let rest: string | undefined;
    for (const prop of objectPattern.properties) {
      if (prop.type === "RestElement") {
        open = true;
        rest = prop.argument.type === "Identifier" ? prop.argument.name : undefined;
        continue;
      }
      const key = prop.computed ? undefined : keyName(prop.key);
      // A computed key could be anything: accept any key rather than reject a valid one.
      if (key === undefined) { open = true; continue; }
      if (!names.includes(key)) names.push(key);
      if (prop.value.type === "AssignmentPattern") noteDefault(key, prop.value.right, defaults, unknownDefaults);
    }
    let argumentDefault: Record<string, unknown> | undefined;
    let argumentDefaultUnknown = false;
    if (only.type === "AssignmentPattern") {
      const whole = literalValue(only.right);
      if (isPlainObject(whole)) argumentDefault = whole;
      else if (whole !== undefined) argumentDefaultUnknown = true; // an expression, or an odd literal like `= 5`
    }
    return { kind: "object", names, rest, defaults, unknownDefaults, open, argumentDefault, argumentDefaultUnknown };
  }

  const names: string[] = [];
  let rest: string | undefined;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p.type === "RestElement") {
      rest = p.argument.type === "Identifier" ? p.argument.name : "arg" + i;
      break;
    }
    const target = p.type === "AssignmentPattern" ? p.left : p;
    const name = target.type === "Identifier" ? target.name : "arg" + i;
    names.push(name);
    if (p.type === "AssignmentPattern") noteDefault(name, p.right, defaults, unknownDefaults);
  }
  return { kind: "positional", names, rest, defaults, unknownDefaults, open: false, argumentDefaultUnknown: false };
}

function keyName(key: Expression): string | undefined {
  if (key.type === "Identifier") return key.name;
  if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
  return undefined;
}

function noteDefault(name: string, expr: Expression, defaults: Record<string, unknown>, unknown: string[]): void {
  const v = literalValue(expr);
  if (v === NOT_LITERAL) unknown.push(name);
  else if (v !== undefined) setKey(defaults, name, v); // `= undefined` / `= void 0` is no default at all
}

/** The value of a literal expression, or NOT_LITERAL. `undefined` means "no default" (`void 0`). */
function literalValue(node: Expression | null): unknown {
  if (node === null) return undefined; // array hole
  switch (node.type) {
    case "Literal":
      return node.regex !== undefined ? NOT_LITERAL : node.value; // a regex is a fresh object: not a literal value
    case "TemplateLiteral":
      return node.expressions.length === 0 && node.quasis.length === 1 && typeof node.quasis[0].value.cooked === "string"
        ? node.quasis[0].value.cooked : NOT_LITERAL;
    case "Identifier":
      // Non-writable globals only; any other name is a variable.
      return node.name === "undefined" ? undefined : node.name === "NaN" ? NaN : node.name === "Infinity" ? Infinity : NOT_LITERAL;
    case "UnaryExpression": {
      if (node.operator === "void") return literalValue(node.argument) === NOT_LITERAL ? NOT_LITERAL : undefined;
      const v = literalValue(node.argument);
      if (node.operator === "-" && (typeof v === "number" || typeof v === "bigint")) return -v;
      if (node.operator === "+" && typeof v === "number") return v;
      if (node.operator === "!" && (typeof v === "number" || typeof v === "boolean")) return !v; // `!0` from minifiers
      return NOT_LITERAL;
    }
    case "ArrayExpression": {
      const out = node.elements.map((el) => (el !== null && el.type === "SpreadElement" ? NOT_LITERAL : literalValue(el)));
      return out.includes(NOT_LITERAL) ? NOT_LITERAL : out;
    }
    case "ObjectExpression": {
      const out: Record<string, unknown> = {};
      for (const p of node.properties) {
        if (p.type !== "Property" || p.kind !== "init" || p.method || p.shorthand || p.computed) return NOT_LITERAL;
        const key = keyName(p.key);
        const v = key === undefined || key === "__proto__" ? NOT_LITERAL : literalValue(p.value);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out[key as string] = v;
      }
      return out;
    }
    default:
      return NOT_LITERAL;
  }
}

function freezeSpec(spec: ParamSpec): ParamSpec {
  for (const part of [spec.names, spec.unknownDefaults, spec.defaults, spec.argumentDefault]) deepFreeze(part);
  return Object.freeze(spec);
}

function deepFreeze(v: unknown): void {
  if (typeof v !== "object" || v === null) return;
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  Object.freeze(v);
}

/** A fresh copy of a (frozen) literal default, so one run cannot change the next run's default. */
function cloneLiteral(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneLiteral);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) out[k] = cloneLiteral(src[k]);
  return out;
}

/** Assign without tripping the `__proto__` setter (a JSON-parsed `--params` may carry that key). */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function copyOwn(src: Record<string, unknown>, dst: Record<string, unknown>): void {
  for (const k in src) if (hasOwn.call(src, k)) setKey(dst, k, src[k]);
}

/** Fill keys that are missing or undefined: option defaults (except `skip`), then literal signature defaults. */
function fillDefaults(
  o: Record<string, unknown>, optionDefaults: Record<string, unknown> | undefined, defaults: Record<string, unknown>, skip?: string,
): boolean {
  let filled = false;
  if (optionDefaults !== undefined) {
    for (const k in optionDefaults) {
      if (k === skip || !hasOwn.call(optionDefaults, k)) continue;
      const v = optionDefaults[k];
      if (v !== undefined && o[k] === undefined) { setKey(o, k, v); filled = true; }
    }
  }
  for (const k in defaults) if (o[k] === undefined) { setKey(o, k, cloneLiteral(defaults[k])); filled = true; }
  return filled;
}

function hasAnyKey(o: Record<string, unknown> | undefined): boolean {
  if (o !== undefined) for (const k in o) if (hasOwn.call(o, k)) return true;
  return false;
}

/**
 * From a call's arguments to named parameters (defaults applied) and the arguments to call fn with.
 * For kind "object" the parameters object is also the object passed to fn: destructuring never hands
 * fn a reference to it, so sharing is safe and saves an allocation per run.
 */
export function bindArguments(spec: ParamSpec, args: unknown[], optionDefaults?: Record<string, unknown>): BoundArguments {
  switch (spec.kind) {
    case "object":
      return bindObject(spec, args, optionDefaults);
    case "positional":
      if (spec.names.length === 1 && spec.rest === undefined && args.length <= 1) {
        const single = bindSingle(spec, args, optionDefaults);
        if (single !== undefined) return single;
      }
      return bindPositional(spec, args, optionDefaults);
    case "none":
      return bindPositional(spec, args, undefined);
    default: // unknown: a lone plain object is the parameters; anything else is arg0, arg1, …
      if (args.length === 1 && isPlainObject(args[0])) {
        const parameters: Record<string, unknown> = {};
        copyOwn(args[0], parameters);
        return { parameters, callArgs: args };
      }
      return bindPositional(spec, args, undefined);
  }
}

function bindObject(spec: ParamSpec, args: unknown[], optionDefaults: Record<string, unknown> | undefined): BoundArguments {
  const arg = args[0];
  let merged: Record<string, unknown>;
  if (arg === undefined) {
    // Called with nothing and the whole-argument default is an expression: let fn evaluate it.
    if (spec.argumentDefaultUnknown && !hasAnyKey(optionDefaults)) return withExtras({}, args, args);
    merged = {};
    // Option defaults, then the whole-argument literal, then the pattern's own defaults.
    fillDefaults(merged, optionDefaults, spec.argumentDefault ?? EMPTY_DEFAULTS);
    fillDefaults(merged, undefined, spec.defaults);
  } else if (isPlainObject(arg)) {
    merged = {};
    copyOwn(arg, merged);
    fillDefaults(merged, optionDefaults, spec.defaults);
  } else {
    // A class instance, array or primitive: pass it untouched, record what fn will read from it.
    const parameters: Record<string, unknown> = {};
    if (typeof arg === "object" && arg !== null) {
      const src = arg as Record<string, unknown>;
      for (const name of spec.names) { const v = src[name]; if (v !== undefined) setKey(parameters, name, v); }
      fillDefaults(parameters, undefined, spec.defaults);
    }
    return withExtras(parameters, args, args);
  }
  return args.length > 1 ? withExtras(merged, args, [merged, ...args.slice(1)]) : { parameters: merged, callArgs: [merged] };
}

/** Record arguments after the first (rare for the object kind) as arg1, arg2, … */
function withExtras(parameters: Record<string, unknown>, args: unknown[], callArgs: unknown[]): BoundArguments {
  for (let i = 1; i < args.length; i++) parameters["arg" + i] = args[i];
  return { parameters, callArgs };
}

/** `(opts) =>` with a plain object (given, option default or literal default): the object convention. */
function bindSingle(spec: ParamSpec, args: unknown[], optionDefaults: Record<string, unknown> | undefined): BoundArguments | undefined {
  const name = spec.names[0];
  let v = args[0];
  if (v === undefined) {
    const fromOptions = optionDefaults !== undefined && hasOwn.call(optionDefaults, name) ? optionDefaults[name] : undefined;
    if (fromOptions !== undefined) v = fromOptions;
    else if (spec.defaults[name] !== undefined) v = cloneLiteral(spec.defaults[name]);
    else if (hasAnyKey(optionDefaults)) v = {}; // option defaults name the object's keys
  }
  if (!isPlainObject(v)) return undefined;
  const parameters: Record<string, unknown> = {};
  copyOwn(v, parameters);
  if (fillDefaults(parameters, optionDefaults, EMPTY_DEFAULTS, name)) {
    // fn holds a reference to its argument: give it its own copy, not the recorded parameters.
    const arg: Record<string, unknown> = {};
    copyOwn(parameters, arg);
    return { parameters, callArgs: [arg] };
  }
  return { parameters, callArgs: v === args[0] ? args : [v] };
}

function bindPositional(spec: ParamSpec, args: unknown[], optionDefaults: Record<string, unknown> | undefined): BoundArguments {
  const names = spec.names;
  const n = names.length;
  const parameters: Record<string, unknown> = {};
  let callArgs = args;
  for (let i = 0; i < n; i++) {
    const name = names[i];
    let v = i < args.length ? args[i] : undefined;
    if (v === undefined) {
      if (optionDefaults !== undefined && hasOwn.call(optionDefaults, name)) v = optionDefaults[name];
      if (v === undefined && spec.defaults[name] !== undefined) v = cloneLiteral(spec.defaults[name]);
      if (v === undefined) continue; // unknown or no default: fn decides
      if (callArgs === args) callArgs = args.slice();
      while (callArgs.length < i) callArgs.push(undefined);
      callArgs[i] = v;
    }
    setKey(parameters, name, v);
  }
  if (spec.rest !== undefined) setKey(parameters, spec.rest, args.length > n ? args.slice(n) : []);
  else for (let i = n; i < args.length; i++) parameters["arg" + i] = args[i];
  return { parameters, callArgs };
}

/**
 * From named parameters (CLI `--param`, a rerun's recorded parameters) to the arguments to call fn with.
 * Throws for a name the function does not take, when its names are known and closed. `label` names the
 * callable in that message, e.g. `Flow "my-flow"`.
 */
export function argumentsFromParameters(
  spec: ParamSpec, parameters: Record<string, unknown>, optionDefaults?: Record<string, unknown>, label?: string,
): unknown[] {
  const keys = Object.keys(parameters);
  const reject = (k: string): never => {
    throw new UserError(`${label ?? "The function"} has no parameter "${k}"; it ${describeParameters(spec)}`);
  };
  // The same rule the Run with parameters… prompt checks, from the same specs (parameter-specs.ts).
  const unknown = unknownParameters(flowParameters(spec, optionDefaults), keys);
  if (unknown.length > 0) reject(unknown[0]);
  const copy = (): Record<string, unknown> => { const o: Record<string, unknown> = {}; copyOwn(parameters, o); return o; };

  if (spec.kind === "object") return bindObject(spec, keys.length === 0 ? [] : [copy()], optionDefaults).callArgs;
  if (spec.kind === "unknown") {
    if (keys.length === 0) return hasAnyKey(optionDefaults) ? bindArguments(spec, [{ ...optionDefaults }]).callArgs : [];
    if (!keys.every((k) => argumentIndex(k) >= 0)) return [copy()];
  }
  const names = spec.names;
  const n = names.length;
  if (spec.kind === "positional" && n === 1 && spec.rest === undefined && !(keys.length === 1 && keys[0] === names[0])) {
    // `(opts) =>`: the parameters are the object's keys (what bindArguments recorded for such a call).
    const single = bindSingle(spec, keys.length === 0 ? [] : [copy()], optionDefaults);
    if (single !== undefined) return single.callArgs; // else: a positional option default, below
  }
  const out: unknown[] = [];
  let extra = false;
  for (const k of keys) {
    if (!names.includes(k) && k !== spec.rest) {
      const i = argumentIndex(k); // an extra argument: the check above let only `arg<i>` (i ≥ n) through
      if (i < 0) reject(k);
      out[i] = parameters[k];
      extra = true;
    }
  }
  for (let i = 0; i < n; i++) {
    let v = parameters[names[i]];
    if (v === undefined && optionDefaults !== undefined && hasOwn.call(optionDefaults, names[i])) v = optionDefaults[names[i]];
    if (v === undefined && spec.defaults[names[i]] !== undefined) v = cloneLiteral(spec.defaults[names[i]]);
    out[i] = v;
  }
  if (spec.rest !== undefined && parameters[spec.rest] !== undefined) {
    const r = parameters[spec.rest];
    for (const v of Array.isArray(r) ? r : [r]) out.push(v); // a lone value is a one-element rest
    return out;
  }
  if (extra) for (let i = 0; i < out.length; i++) if (!(i in out)) out[i] = undefined; // no holes
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop(); // fn sees its own defaults
  return out;
}

/** The names a caller can pass: declared names, plus the rest name for positional functions. */
export function parameterNames(spec: ParamSpec): string[] {
  return spec.kind === "positional" && spec.rest !== undefined ? [...spec.names, spec.rest] : spec.names.slice();
}

/** Parameters a UI can prefill: what a call with no arguments records (option and literal defaults). */
export function defaultParameters(spec: ParamSpec, optionDefaults?: Record<string, unknown>): Record<string, unknown> {
  return bindArguments(spec, [], optionDefaults).parameters;
}

/**
 * The parameters a caller can give the function (as a flow: its `optionDefaults` are the options'
 * `parameters`), each with what a run given none records for it. What the child process reports.
 */
export function flowParameters(spec: ParamSpec, optionDefaults?: Record<string, unknown>): FlowParameters {
  const defaults = defaultParameters(spec, optionDefaults);
  // A lone plain parameter, `(opts) =>`, takes one object whose keys are the parameters (bindSingle).
  const single = spec.kind === "positional" && spec.names.length === 1 && spec.rest === undefined;
  const names = single || spec.kind === "unknown" ? [] : parameterNames(spec);
  for (const k of Object.keys(defaults)) if (!names.includes(k)) names.push(k);
  const parameters = names.map((name): ParameterSpec => {
    const known = hasOwn.call(defaults, name);
    const p: ParameterSpec = { name, required: !known && !spec.unknownDefaults.includes(name) && !spec.argumentDefaultUnknown };
    if (known && isJsonValue(defaults[name])) p.default = defaults[name];
    if (spec.kind === "positional" && name === spec.rest) p.rest = true;
    return p;
  });
  return { kind: spec.kind, parameters, open: spec.kind === "unknown" || single || spec.open };
}

/** One line for error messages: "takes: name, count", "takes no parameters". */
export function describeParameters(spec: ParamSpec): string {
  switch (spec.kind) {
    case "none": return "takes no parameters";
    case "unknown": return "takes parameters that could not be read from its source";
    case "object": {
      const list = spec.open ? [...spec.names, spec.rest !== undefined ? `...${spec.rest}` : "any other key"] : spec.names;
      return list.length === 0 ? "takes no parameters" : `takes: ${list.join(", ")}`;
    }
    default: {
      const list = spec.rest !== undefined ? [...spec.names, `...${spec.rest}`] : spec.names;
      return `takes: ${list.join(", ")}`;
    }
  }
}
