import type { CallExpression, Expression, Node, ObjectExpression, OptionalCallExpression, Program, Statement } from "@babel/types";

// Walks a parsed file for the calls of `flow` from "flowline": imported by name (also renamed), through a
// namespace or default import (`fl.flow(…)`), or required at the top level. For each it tells what holds it (an export,
// a variable) and the flow's own name, which is all a lens needs: the flow process reports the rest.

export interface FlowCall {
  /** Offset of the `flow` call. */
  offset: number;
  /** Offset of the statement that defines the flow: where its lens goes. */
  statement: number;
  /** The export that holds it (`default` for a default export), when it is exported. */
  exportName?: string;
  /** The `name` option, else its function's name. */
  flowName?: string;
}

const MODULE = "flowline";
/** Expressions around a call that leave it the value held: `await flow(…)`, `flow(…) as Flow<…>`. */
const WRAPPERS = new Set(["AwaitExpression", "TSAsExpression", "TSSatisfiesExpression", "TSNonNullExpression", "TSTypeAssertion", "ParenthesizedExpression"]);
/** Keys that hold no code (positions, type annotations: a flow is never defined inside a type), not walked. */
const SKIPPED_KEYS = new Set(["loc", "extra", "typeAnnotation", "returnType", "typeParameters", "typeArguments", "superTypeParameters"]);

type Call = CallExpression | OptionalCallExpression;

export function flowCalls(program: Program): FlowCall[] {
  const flowNames = new Set<string>();
  const namespaces = new Set<string>();
  const exportNames = new Map<string, string>();
  for (const statement of program.body) readTopLevel(statement, flowNames, namespaces, exportNames);
  if (flowNames.size === 0 && namespaces.size === 0) return [];

  const found: FlowCall[] = [];
  /** Functions the file declares by name (`function f`, `const f = () => …`): the name a function gets. */
  const functionNames = new Map<string, string>();
  const byIdentifier: Array<{ call: FlowCall; name: string }> = [];
  const ancestors: Node[] = [];

  const visit = (node: Node): void => {
    if (node.type === "CallExpression" || node.type === "OptionalCallExpression") {
      if (isFlowCall(node, flowNames, namespaces)) {
        const call: FlowCall = { offset: node.start ?? 0, ...holderOf(node, ancestors, exportNames) };
        const { name, functionName, reference } = namesOf(node);
        call.flowName = name ?? functionName;
        if (call.flowName === undefined && reference !== undefined) byIdentifier.push({ call, name: reference });
        found.push(call);
      }
    } else if (node.type === "VariableDeclarator" && node.id.type === "Identifier") {
      const init = node.init;
      if (init?.type === "ArrowFunctionExpression" || init?.type === "FunctionExpression") {
        functionNames.set(node.id.name, (init.type === "FunctionExpression" && init.id?.name) || node.id.name);
      }
    } else if (node.type === "FunctionDeclaration" && node.id) {
      functionNames.set(node.id.name, node.id.name);
    }
    ancestors.push(node);
    const fields = node as unknown as Record<string, unknown>;
    // Object.keys with an index, not for…in: over a 5 MB file's AST it walks in well under half the time.
    const keys = Object.keys(fields);
    for (let k = 0; k < keys.length; k++) {
      const value = fields[keys[k]];
      if (typeof value !== "object" || value === null || SKIPPED_KEYS.has(keys[k])) continue;
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child);
      } else if (isNode(value)) visit(value);
    }
    ancestors.pop();
  };
  visit(program);
  // flow(myFunction): a function declared elsewhere in the file (before or after) has its own name.
  for (const { call, name } of byIdentifier) call.flowName = functionNames.get(name);
  return found.sort((a, b) => a.offset - b.offset);
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}

/** Imports of "flowline", top-level requires, and the file's export lists (local name → exported name). */
function readTopLevel(statement: Statement, flowNames: Set<string>, namespaces: Set<string>, exportNames: Map<string, string>): void {
  switch (statement.type) {
    case "ImportDeclaration":
      if (statement.source.value !== MODULE || statement.importKind === "type" || statement.importKind === "typeof") return;
      for (const s of statement.specifiers) {
        if (s.type === "ImportSpecifier") {
          if (s.importKind !== "type" && nameOf(s.imported) === "flow") flowNames.add(s.local.name);
        } else namespaces.add(s.local.name); // `* as fl`, or a default import: the module object under esModuleInterop
      }
      return;
    case "VariableDeclaration":
      for (const d of statement.declarations) if (d.init && (d.id.type === "Identifier" || d.id.type === "ObjectPattern")) bindRequire(d.id, d.init, flowNames, namespaces);
      return;
    case "ExportNamedDeclaration":
      // `export { a, b as c }`; a re-export (`export … from`) binds nothing here.
      if (statement.source || statement.declaration || statement.exportKind === "type") return;
      for (const s of statement.specifiers) if (s.type === "ExportSpecifier" && s.exportKind !== "type") exportNames.set(s.local.name, nameOf(s.exported) ?? s.local.name);
      return;
    case "ExportDefaultDeclaration":
      if (statement.declaration.type === "Identifier") exportNames.set(statement.declaration.name, "default");
      return;
    case "ExpressionStatement": {
      // module.exports = { a, c: b }
      const e = statement.expression;
      if (e.type === "AssignmentExpression" && isModuleExports(e.left) && e.right.type === "ObjectExpression") readExportObject(e.right, exportNames);
      return;
    }
  }
}

function readExportObject(object: ObjectExpression, exportNames: Map<string, string>): void {
  for (const p of object.properties) {
    if (p.type !== "ObjectProperty" || p.computed || p.value.type !== "Identifier") continue;
    const key = p.key.type === "Identifier" ? p.key.name : p.key.type === "StringLiteral" ? p.key.value : undefined;
    if (key !== undefined) exportNames.set(p.value.name, key);
  }
}

/** `const fl = require("flowline")`, `const { flow: f } = require("flowline")`, `… = await import("flowline")`. */
function bindRequire(id: Node, init: Expression, flowNames: Set<string>, namespaces: Set<string>): void {
  const value = init.type === "AwaitExpression" ? init.argument : init;
  if (value.type !== "CallExpression" || value.arguments.length !== 1) return;
  const callee = value.callee;
  if (!((callee.type === "Identifier" && callee.name === "require") || callee.type === "Import")) return;
  const arg = value.arguments[0];
  if (arg.type !== "StringLiteral" || arg.value !== MODULE) return;
  if (id.type === "Identifier") namespaces.add(id.name);
  else if (id.type === "ObjectPattern") {
    for (const p of id.properties) {
      if (p.type !== "ObjectProperty" || p.computed || nameOf(p.key) !== "flow") continue;
      const local = p.value.type === "AssignmentPattern" ? p.value.left : p.value;
      if (local.type === "Identifier") flowNames.add(local.name);
    }
  }
}

function isFlowCall(call: Call, flowNames: Set<string>, namespaces: Set<string>): boolean {
  const callee = call.callee;
  if (callee.type === "Identifier") return flowNames.has(callee.name);
  if (callee.type !== "MemberExpression" && callee.type !== "OptionalMemberExpression") return false;
  return !callee.computed && callee.object.type === "Identifier" && namespaces.has(callee.object.name) && nameOf(callee.property) === "flow";
}

/** Where the lens goes and which export holds the flow, from what the call is the value of. */
function holderOf(call: Call, ancestors: Node[], exportNames: Map<string, string>): { statement: number; exportName?: string } {
  let held: Node = call;
  let i = ancestors.length - 1;
  while (i >= 0 && WRAPPERS.has(ancestors[i].type)) held = ancestors[i--];
  const parent = ancestors[i];
  if (parent?.type === "ExportDefaultDeclaration") return { statement: parent.start ?? 0, exportName: "default" };
  if (parent?.type === "VariableDeclarator" && parent.init === held && parent.id.type === "Identifier") {
    const declaration = ancestors[i - 1];
    const exported = ancestors[i - 2]?.type === "ExportNamedDeclaration";
    const statement = exported ? ancestors[i - 2] : declaration;
    const local = parent.id.name;
    return { statement: statement?.start ?? 0, exportName: exported ? local : exportNames.get(local) };
  }
  if (parent?.type === "AssignmentExpression" && parent.operator === "=" && parent.right === held) {
    // exports.x = …, module.exports.x = …, module.exports = …
    const left = parent.left;
    if (isModuleExports(left)) return { statement: left.start ?? 0, exportName: "default" };
    if (left.type === "MemberExpression" && !left.computed && (isIdentifier(left.object, "exports") || isModuleExports(left.object))) {
      const name = nameOf(left.property);
      if (name !== undefined) return { statement: left.start ?? 0, exportName: name };
    }
  }
  return { statement: call.start ?? 0 };
}

/** The `name` option of `flow(options, fn)`, the function's own name, or the name it refers to. */
function namesOf(call: Call): { name?: string; functionName?: string; reference?: string } {
  const args = call.arguments;
  const [options, fn] = args.length >= 2 ? [args[0], args[1]] : [undefined, args[0]];
  const out: { name?: string; functionName?: string; reference?: string } = {};
  if (options?.type === "ObjectExpression") {
    for (const p of options.properties) {
      if (p.type === "ObjectProperty" && !p.computed && nameOf(p.key) === "name") out.name = literalText(p.value);
    }
  }
  if (fn?.type === "FunctionExpression" && fn.id) out.functionName = fn.id.name;
  else if (fn?.type === "Identifier") out.reference = fn.name;
  return out;
}

function literalText(node: Node): string | undefined {
  if (node.type === "StringLiteral") return node.value;
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** An identifier's name or a string literal's value (import and export names, property keys). */
function nameOf(node: Node): string | undefined {
  if (node.type === "Identifier") return node.name;
  if (node.type === "StringLiteral") return node.value;
  return undefined;
}

function isIdentifier(node: Node, name: string): boolean {
  return node.type === "Identifier" && node.name === name;
}

function isModuleExports(node: Node): boolean {
  return node.type === "MemberExpression" && !node.computed && isIdentifier(node.object, "module") && isIdentifier(node.property, "exports");
}
