import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as TS from "typescript";
import { readCachedBuild, tsconfigsAbove, writeCachedBuild } from "./build-cache";
import { acceptsUndefined, schemaOf, type Schema } from "./type-schema";

// The parameter types of a TypeScript flow file's flows, read with the TypeScript compiler, so that values
// are checked against the signature before a run exists (as Prefect checks them against type hints). The
// checker runs only on the user's own files, over a small built-in lib (no node_modules, no DOM): a first
// read costs tens of milliseconds after the compiler loads; the answer is cached by the files' content hashes.

export interface SignatureParameter {
  name: string;
  /** The type as written in the signature (`Color`, `string[]`). */
  type: string;
  schema: Schema;
  /** Given a `?`, a default, or a type that accepts undefined: a run may leave it out. */
  optional: boolean;
}

export interface FlowSignature {
  /** The variable the flow is assigned to (`export const greet = flow(...)`), or "default". */
  variable?: string;
  /** The `name` option, when it is a string literal. */
  name?: string;
  /** "object": the parameters are the properties of its one object parameter; else one per declared parameter. */
  mode: "object" | "positional";
  parameters: SignatureParameter[];
}

const CACHE_VERSION = "signature-types-1";
const TYPED = /\.(?:[cm]?ts|tsx)$/i;

// Enough of the standard library for the checker to type signatures: arrays, tuples, the utility types.
const LIB = `
interface Array<T> { length: number; [n: number]: T; }
interface ReadonlyArray<T> { readonly length: number; readonly [n: number]: T; }
interface Boolean {} interface Function {} interface CallableFunction extends Function {} interface NewableFunction extends Function {}
interface IArguments {} interface Number {} interface Object {} interface RegExp {} interface String {} interface Symbol {} interface BigInt {}
interface Promise<T> { then<A = T, B = never>(ok?: (v: T) => A, bad?: (e: any) => B): Promise<A | B>; }
interface PromiseLike<T> {} interface TemplateStringsArray extends ReadonlyArray<string> {}
interface Date { getTime(): number; } interface Map<K, V> { size: number; } interface Set<T> { size: number; } interface Uint8Array { length: number; } interface URL { href: string; }
type Record<K extends keyof any, T> = { [P in K]: T };
type Partial<T> = { [P in keyof T]?: T[P] }; type Required<T> = { [P in keyof T]-?: T[P] }; type Readonly<T> = { readonly [P in keyof T]: T[P] };
type Pick<T, K extends keyof T> = { [P in K]: T[P] }; type Exclude<T, U> = T extends U ? never : T; type Extract<T, U> = T extends U ? T : never;
type Omit<T, K extends keyof any> = Pick<T, Exclude<keyof T, K>>; type NonNullable<T> = T & {};
type Awaited<T> = T extends PromiseLike<infer U> ? Awaited<U> : T;
`;
const LIB_NAME = "/__flowline_lib__.d.ts";

/** The flows' signatures in a TypeScript file, or [] for JavaScript and for files the compiler cannot read. */
export function flowSignatures(file: string): FlowSignature[] {
  if (!TYPED.test(file)) return [];
  const absolute = path.resolve(file);
  const cached = readCachedBuild(absolute, CACHE_VERSION, "types");
  if (cached !== undefined) return JSON.parse(cached) as FlowSignature[];
  const hashes = new Map<string, string>();
  let found: FlowSignature[];
  try {
    found = readSignatures(absolute, hashes);
  } catch {
    return []; // a compiler that cannot read the file only means no types are checked
  }
  writeCachedBuild(absolute, CACHE_VERSION, [...new Set([absolute, ...hashes.keys(), ...tsconfigsAbove(path.dirname(absolute))])], hashes, JSON.stringify(found), "types");
  return found;
}

function readSignatures(file: string, hashes: Map<string, string>): FlowSignature[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a TypeScript flow file is first read
  const ts = require("typescript") as typeof TS;
  const options: TS.CompilerOptions = {
    strict: true, noLib: true, noEmit: true, allowJs: false, types: [], skipLibCheck: true, jsx: ts.JsxEmit.Preserve,
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
  };
  const host = ts.createCompilerHost(options);
  const userFile = (name: string) => !name.split(/[\\/]/).includes("node_modules") && TYPED.test(name);
  host.fileExists = (name) => name === LIB_NAME || (userFile(name) && fs.existsSync(name));
  host.getSourceFile = (name, target) => {
    if (name === LIB_NAME) return ts.createSourceFile(name, LIB, target);
    if (!userFile(name)) return undefined;
    let bytes: Buffer;
    try { bytes = fs.readFileSync(name); } catch { return undefined; }
    hashes.set(path.resolve(name), createHash("sha256").update(bytes).digest("hex"));
    return ts.createSourceFile(name, bytes.toString("utf8"), target, true);
  };
  const program = ts.createProgram({ rootNames: [LIB_NAME, file], options, host });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (source === undefined) return [];
  const found: FlowSignature[] = [];
  const visit = (node: TS.Node) => {
    if (ts.isCallExpression(node) && isFlowCall(ts, node)) {
      const signature = signatureOf(ts, checker, node);
      if (signature !== undefined) found.push(signature);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `flow(...)` or `x.flow(...)`, as flow files call the SDK. */
function isFlowCall(ts: typeof TS, call: TS.CallExpression): boolean {
  const callee = call.expression;
  return (ts.isIdentifier(callee) && callee.text === "flow") || (ts.isPropertyAccessExpression(callee) && callee.name.text === "flow");
}

function signatureOf(ts: typeof TS, checker: TS.TypeChecker, call: TS.CallExpression): FlowSignature | undefined {
  const fn = functionOf(ts, checker, call.arguments[call.arguments.length - 1]);
  if (fn === undefined) return undefined;
  const options = call.arguments.length > 1 ? call.arguments[0] : undefined;
  let name: string | undefined;
  if (options !== undefined && ts.isObjectLiteralExpression(options)) {
    for (const p of options.properties) {
      if (ts.isPropertyAssignment(p) && p.name.getText() === "name" && ts.isStringLiteralLike(p.initializer)) name = p.initializer.text;
    }
  }
  const parent = call.parent;
  const variable = ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name) ? parent.name.text : ts.isExportAssignment(parent) ? "default" : undefined;
  const params = fn.parameters;
  const base = { ...(variable !== undefined ? { variable } : {}), ...(name !== undefined ? { name } : {}) };
  const only = params.length === 1 ? params[0] : undefined;
  if (only !== undefined && !only.dotDotDotToken && (ts.isObjectBindingPattern(only.name) || isPlainObjectType(ts, checker, checker.getTypeAtLocation(only)))) {
    return { ...base, mode: "object", parameters: propertiesOf(ts, checker, only) };
  }
  const parameters: SignatureParameter[] = [];
  for (const p of params) {
    if (p.dotDotDotToken || !ts.isIdentifier(p.name)) break; // what follows is named arg<i> by the engine: not checked
    const type = checker.getTypeAtLocation(p);
    parameters.push({
      name: p.name.text,
      type: p.type ? p.type.getText() : checker.typeToString(type),
      schema: schemaOf(ts, checker, type),
      optional: p.questionToken !== undefined || p.initializer !== undefined || acceptsUndefined(ts, type),
    });
  }
  return { ...base, mode: "positional", parameters };
}

/** The properties of a flow's one object parameter: `({ name, count = 2 }: { name: string; count?: number })`. */
function propertiesOf(ts: typeof TS, checker: TS.TypeChecker, param: TS.ParameterDeclaration): SignatureParameter[] {
  const withDefault = new Set<string>();
  if (ts.isObjectBindingPattern(param.name)) {
    for (const el of param.name.elements) {
      const key = el.propertyName ?? el.name;
      if (el.initializer !== undefined && ts.isIdentifier(key)) withDefault.add(key.text);
    }
  }
  const whole = checker.getTypeAtLocation(param);
  const wholeOptional = param.questionToken !== undefined || param.initializer !== undefined;
  return checker.getPropertiesOfType(checker.getNonNullableType(whole)).map((prop) => {
    const type = checker.getTypeOfSymbol(prop);
    const declared = prop.valueDeclaration;
    const written = declared !== undefined && (ts.isPropertySignature(declared) || ts.isPropertyDeclaration(declared)) ? declared.type?.getText() : undefined;
    const optional = wholeOptional || withDefault.has(prop.getName()) || (prop.flags & ts.SymbolFlags.Optional) !== 0 || acceptsUndefined(ts, type);
    return { name: prop.getName(), type: written ?? checker.typeToString(checker.getNonNullableType(type)), schema: schemaOf(ts, checker, type), optional };
  });
}

function isPlainObjectType(ts: typeof TS, checker: TS.TypeChecker, type: TS.Type): boolean {
  const t = checker.getNonNullableType(type);
  return (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t) && !checker.isTupleType(t) && t.getCallSignatures().length === 0 && checker.getPropertiesOfType(t).length > 0;
}

/** The function a flow call wraps: written inline, or a function or const declared elsewhere in the user's files. */
function functionOf(ts: typeof TS, checker: TS.TypeChecker, arg: TS.Expression | undefined): TS.SignatureDeclaration | undefined {
  if (arg === undefined) return undefined;
  if (ts.isArrowFunction(arg) || ts.isFunctionExpression(arg)) return arg;
  if (!ts.isIdentifier(arg)) return undefined;
  let symbol = checker.getSymbolAtLocation(arg);
  if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol?.valueDeclaration;
  if (decl === undefined) return undefined;
  if (ts.isFunctionDeclaration(decl)) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer && (ts.isArrowFunction(decl.initializer) || ts.isFunctionExpression(decl.initializer))) return decl.initializer;
  return undefined;
}
