import { UserError } from "./errors";

// A flow's `parameters` option may be a Standard Schema (https://standardschema.dev: zod, valibot, arktype
// all implement it) instead of default values: then it validates and coerces a run's parameters before
// the run exists, and a refusal names the parameter in one line. The interface is copied in as the spec
// asks, so Flowline depends on no schema library.

export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

export type StandardSchemaResult<O> = { readonly value: O; readonly issues?: undefined } | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

export interface StandardSchemaV1<I = unknown, O = I> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<O> | Promise<StandardSchemaResult<O>>;
    readonly types?: { readonly input: I; readonly output: O } | undefined;
  };
}

export function standardSchemaOf(value: unknown): StandardSchemaV1 | undefined {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  const std = (value as { "~standard"?: { version?: unknown; validate?: unknown } })["~standard"];
  return std !== undefined && std.version === 1 && typeof std.validate === "function" ? (value as StandardSchemaV1) : undefined;
}

/** The `parameters` option as default values: none when it is a schema. */
export function parameterDefaults(option: unknown): Record<string, unknown> | undefined {
  return option === undefined || standardSchemaOf(option) !== undefined ? undefined : (option as Record<string, unknown>);
}

/** The parameters as the schema validates and coerces them; a UserError naming the first issue's parameter. */
export async function validateParameters(schema: StandardSchemaV1, parameters: Record<string, unknown>, flowName: string): Promise<Record<string, unknown>> {
  const result = await schema["~standard"].validate(parameters);
  if (result.issues === undefined) return result.value as Record<string, unknown>;
  const [first] = result.issues;
  const at = (first?.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
  const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more issue${result.issues.length > 2 ? "s" : ""})` : "";
  throw new UserError(`flow '${flowName}': ${at ? `parameter '${at}'` : "parameters"}: ${first?.message ?? "refused by the flow's parameters schema"}${more}.`);
}
