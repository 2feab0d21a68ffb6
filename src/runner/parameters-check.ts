import type { FlowParameters } from "../engine/parameter-specs";

// Parameters are checked before they are sent to the flow process: a value nested thousands of levels deep
// overflows the stack of the structured clone that carries it (the send threw, and the run hung forever).

/** How deeply a parameter's value may nest (objects and arrays); real inputs stay far below. */
export const MAX_PARAMETER_DEPTH = 100;

/** Why these parameters cannot be sent to a flow, in one line, or undefined when they can. */
export function parameterProblem(parameters: Record<string, unknown>): string | undefined {
  for (const name of Object.keys(parameters)) {
    if (nestsDeeperThan(parameters[name], MAX_PARAMETER_DEPTH)) {
      return `parameter ${JSON.stringify(name)} is nested more than ${MAX_PARAMETER_DEPTH} levels deep; pass flatter data (or the path of a file the flow reads) instead.`;
    }
  }
  return undefined;
}

/** Walks with its own stack, not recursion, so a deep value cannot overflow this check as well. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== "object" || v === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Checks given parameters against the types the flow's signature declares (ParameterSpec.schema): a
 * required one left out, or a value of the wrong type, is refused in one line naming the parameter and its
 * type. Values are coerced where the type says how: a number or boolean given for a `string` (the CLI reads
 * `--param name=123` as a number), an integer for a `bigint`.
 */
export function checkParameterTypes(params: FlowParameters, given: Record<string, unknown>): { parameters: Record<string, unknown> } | { problem: string } {
  const parameters = { ...given };
  for (const spec of params.parameters) {
    const has = Object.prototype.hasOwnProperty.call(given, spec.name) && given[spec.name] !== undefined;
    const type = spec.type !== undefined ? ` (${spec.type})` : "";
    if (!has) {
      if (spec.typeRequired) return { problem: `parameter '${spec.name}'${type} is required and was not given.` };
      continue;
    }
    if (spec.schema === undefined) continue;
    const checked = conform(spec.schema, given[spec.name], spec.name, 0);
    if ("why" in checked) {
      const where = checked.at === spec.name ? "" : `${checked.at} `;
      return { problem: `parameter '${spec.name}'${type}: ${where}${checked.why}.` };
    }
    parameters[spec.name] = checked.value;
  }
  return { parameters };
}

type Conformed = { value: unknown } | { why: string; at: string };

/** `value` made to fit `schema` (the subset type-schema.ts writes), or why it does not fit and where. */
function conform(schema: Record<string, unknown>, value: unknown, at: string, depth: number): Conformed {
  const bad = (what: string): Conformed => ({ why: `got ${shown(value)}, which is not ${what}`, at });
  if (depth > MAX_PARAMETER_DEPTH) return { value };
  if ("const" in schema) return value === schema.const ? { value } : bad(JSON.stringify(schema.const));
  if (Array.isArray(schema.enum)) return schema.enum.includes(value) ? { value } : bad(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if (Array.isArray(schema.anyOf)) {
    for (const option of schema.anyOf as Array<Record<string, unknown>>) {
      const fits = conform(option, value, at, depth + 1);
      if ("value" in fits) return fits;
    }
    return bad("of any of its types");
  }
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf as Array<Record<string, unknown>>) {
      const fits = conform(part, value, at, depth + 1);
      if ("why" in fits) return fits;
    }
    return { value };
  }
  switch (schema.type) {
    case "string":
      if (typeof value === "string") return { value };
      return typeof value === "number" || typeof value === "boolean" ? { value: String(value) } : bad("a string");
    case "number":
      if (typeof value === "number") return { value };
      return typeof value === "string" && /^-?\d{16,}$/.test(value) ? bad("a number without losing digits (type it bigint or string)") : bad("a number");
    case "boolean":
      return typeof value === "boolean" ? { value } : bad("true or false");
    case "null":
      return value === null ? { value } : bad("null");
    case "integer":
      if (typeof value === "bigint") return { value };
      if ((typeof value === "number" && Number.isSafeInteger(value)) || (typeof value === "string" && /^-?\d+$/.test(value))) return { value: BigInt(value) };
      return bad("an integer");
    case "array":
      return Array.isArray(value) ? conformItems(schema, value, at, depth) : bad("a list");
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value) ? conformFields(schema, value as Record<string, unknown>, at, depth) : bad("an object");
    default:
      return { value };
  }
}

function conformItems(schema: Record<string, unknown>, value: unknown[], at: string, depth: number): Conformed {
  const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as Array<Record<string, unknown>>) : undefined;
  const items = prefix === undefined ? (schema.items as Record<string, unknown> | undefined) : undefined;
  if (prefix !== undefined && value.length !== prefix.length) return { why: `got ${value.length} items, not ${prefix.length}`, at };
  const out = value.slice();
  for (let i = 0; i < out.length; i++) {
    const itemSchema = prefix?.[i] ?? items;
    if (itemSchema === undefined) continue;
    const fits = conform(itemSchema, out[i], `${at}[${i}]`, depth + 1);
    if ("why" in fits) return fits;
    out[i] = fits.value;
  }
  return { value: out };
}

function conformFields(schema: Record<string, unknown>, value: Record<string, unknown>, at: string, depth: number): Conformed {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const out: Record<string, unknown> = { ...value };
  for (const name of (schema.required ?? []) as string[]) {
    if (value[name] === undefined) return { why: "is missing", at: `${at}.${name}` };
  }
  for (const [name, field] of Object.entries(out)) {
    const fieldSchema = Object.prototype.hasOwnProperty.call(properties, name) ? properties[name] : (schema.additionalProperties as Record<string, unknown> | undefined);
    if (fieldSchema === undefined || field === undefined) continue;
    const fits = conform(fieldSchema, field, `${at}.${name}`, depth + 1);
    if ("why" in fits) return fits;
    out[name] = fits.value;
  }
  return { value: out };
}

function shown(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
