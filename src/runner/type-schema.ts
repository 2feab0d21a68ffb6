import type * as TS from "typescript";

// A TypeScript type, as the checker sees it in a flow's signature, turned into the JSON Schema subset that
// parameters-check.ts validates: what a CLI or prompt value can be checked against before a run. A type
// that no JSON value stands for (a Date, a Map, a function, a generic) becomes `{}`: accepted as given.

export type Schema = Record<string, unknown>;

/** Types JSON input cannot be checked against: what they hold is built by the flow, not typed in. */
const UNCHECKED_OBJECTS = new Set(["Date", "Map", "Set", "Promise", "RegExp", "Function", "Uint8Array", "Buffer", "URL"]);
const MAX_DEPTH = 8;

/** Whether `undefined` is one of the values the type accepts (strict mode: `name?: string` is `string | undefined`). */
export function acceptsUndefined(ts: typeof TS, type: TS.Type): boolean {
  const flags = type.flags;
  if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return true;
  return type.isUnion() && type.types.some((t) => acceptsUndefined(ts, t));
}

export function schemaOf(ts: typeof TS, checker: TS.TypeChecker, type: TS.Type, depth = 0): Schema {
  if (depth > MAX_DEPTH) return {};
  const f = type.flags;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter | ts.TypeFlags.Never)) return {};
  if (type.isStringLiteral() || type.isNumberLiteral()) return { const: type.value };
  if (f & ts.TypeFlags.BooleanLiteral) return { const: checker.typeToString(type) === "true" };
  if (f & ts.TypeFlags.BigIntLiteral) return { type: "integer", format: "bigint" };
  if (f & ts.TypeFlags.String) return { type: "string" };
  if (f & ts.TypeFlags.Number) return { type: "number" };
  if (f & ts.TypeFlags.Boolean) return { type: "boolean" };
  if (f & ts.TypeFlags.BigInt) return { type: "integer", format: "bigint" };
  if (f & ts.TypeFlags.Null) return { type: "null" };
  if (type.isUnion()) return unionSchema(ts, checker, type.types, depth);
  if (type.isIntersection()) return { allOf: type.types.map((t) => schemaOf(ts, checker, t, depth + 1)) };
  if (!(f & ts.TypeFlags.Object)) return {};
  const name = type.getSymbol()?.getName();
  if (name !== undefined && UNCHECKED_OBJECTS.has(name)) return {};
  if (type.getCallSignatures().length > 0) return {};
  if (checker.isTupleType(type)) {
    return { type: "array", prefixItems: checker.getTypeArguments(type as TS.TypeReference).map((t) => schemaOf(ts, checker, t, depth + 1)) };
  }
  if (checker.isArrayType(type)) {
    const [item] = checker.getTypeArguments(type as TS.TypeReference);
    return { type: "array", items: item === undefined ? {} : schemaOf(ts, checker, item, depth + 1) };
  }
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const prop of checker.getPropertiesOfType(type)) {
    const propType = checker.getTypeOfSymbol(prop);
    properties[prop.getName()] = schemaOf(ts, checker, propType, depth + 1);
    if (!(prop.flags & ts.SymbolFlags.Optional) && !acceptsUndefined(ts, propType)) required.push(prop.getName());
  }
  const schema: Schema = { type: "object", properties, required };
  const index = checker.getIndexInfosOfType(type).find((info) => info.keyType.flags & ts.TypeFlags.String);
  if (index !== undefined) schema.additionalProperties = schemaOf(ts, checker, index.type, depth + 1);
  return schema;
}

function unionSchema(ts: typeof TS, checker: TS.TypeChecker, members: TS.Type[], depth: number): Schema {
  const kept = members.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)));
  const schemas = kept.map((t) => schemaOf(ts, checker, t, depth + 1));
  if (schemas.some((s) => Object.keys(s).length === 0)) return {};
  // `true | false` is how the checker spells boolean inside a union such as `boolean | undefined`.
  const consts = schemas.filter((s) => "const" in s);
  const bools = consts.filter((s) => typeof s.const === "boolean");
  const rest = schemas.filter((s) => !(bools.length === 2 && bools.includes(s)));
  if (bools.length === 2) rest.push({ type: "boolean" });
  if (rest.length === 1) return rest[0];
  if (rest.every((s) => "const" in s)) return { enum: rest.map((s) => s.const) };
  return { anyOf: rest };
}
