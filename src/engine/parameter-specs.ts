// A flow's parameters as the engine binds them, in the shape every caller speaks: the child process
// reports them (the runner's `loaded` message), the Run with parameters… prompt shows and checks them, and
// the engine refuses a run with the same rule (params.ts). This file imports nothing with a runtime cost
// (no parser), so the extension can use it at no activation cost.

/** How the engine names a call's parameters (see params.ts). */
export type ParamKind = "none" | "object" | "positional" | "unknown";

/** One parameter a flow takes. */
export interface ParameterSpec {
  name: string;
  /** No default is known for it, in the signature or in the options' `parameters`; a run without it passes undefined. */
  required: boolean;
  /** What a run given no value records for it, when that is plain JSON (absent for `= new Date()`). */
  default?: unknown;
  /** A rest parameter (`...items`): given as a list. */
  rest?: boolean;
  /** Its TypeScript type as written in the flow's signature, when the flow file was checked for it. */
  type?: string;
  /** A JSON Schema of the values it accepts, when one is known (from its TypeScript type or the flow's own schema). */
  schema?: Record<string, unknown>;
  /** Its TypeScript type says a value must be given (no `?`, no default, undefined not accepted): a run without it is refused. */
  typeRequired?: boolean;
}

/** Everything a caller needs to offer and check a flow's parameters before a run starts. */
export interface FlowParameters {
  kind: ParamKind;
  parameters: ParameterSpec[];
  /** Names not listed are accepted too: a `...rest` element, a lone `(opts)` parameter, or a signature that could not be read. */
  open: boolean;
}

const EXTRA_ARGUMENT = /^arg(?:0|[1-9][0-9]{0,5})$/;

/** `arg<i>` → i, else -1: the names extra positional arguments are recorded under (the i-th argument, from 0). */
export function argumentIndex(key: string): number {
  return EXTRA_ARGUMENT.test(key) ? Number(key.slice(3)) : -1;
}

/** Whether `key` names an extra argument the flow accepts: beyond its declared ones, when it has no rest parameter. */
function isExtraArgument(params: FlowParameters, key: string): boolean {
  if ((params.kind !== "positional" && params.kind !== "none") || params.parameters.some((p) => p.rest)) return false;
  return argumentIndex(key) >= params.parameters.length;
}

/** The given names the flow does not take, in the order given (none when it accepts any name). */
export function unknownParameters(params: FlowParameters, given: string[]): string[] {
  if (params.open) return [];
  return given.filter((key) => !params.parameters.some((p) => p.name === key) && !isExtraArgument(params, key));
}

/** Whether a value is plain JSON, so it can be shown and typed back as it is. */
export function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((v) => isJsonValue(v, depth + 1));
}
