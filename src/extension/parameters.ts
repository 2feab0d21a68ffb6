import { unknownParameters, type FlowParameters, type ParameterSpec } from "../engine/parameter-specs";
import { checkParameterTypes, parameterProblem } from "../runner/parameters-check";

// Parameters typed by the user for "Run with parameters…": a JSON object, checked before any run starts
// against the flow's parameters as its flow process reported them (the engine's own specs), by the same
// rule the engine applies when the run starts.

/** The text the input starts with: the last parameters used, else the known defaults, as one line of JSON. */
export function parametersPrefill(params: FlowParameters, lastUsed?: Record<string, unknown>): string {
  if (lastUsed) return JSON.stringify(lastUsed);
  const defaults: Record<string, unknown> = {};
  for (const p of params.parameters) if ("default" in p && !p.rest) defaults[p.name] = p.default;
  return JSON.stringify(defaults);
}

/** The input box's prompt: which parameters there are, their types when known, and which have no default. */
export function parametersPrompt(params: FlowParameters): string {
  if (params.parameters.length === 0) return params.open ? 'A JSON object of parameters, e.g. {"name": "x"}' : "This flow takes no parameters: {}";
  return `A JSON object. Parameters: ${params.parameters.map(shown).join(", ")}`;
}

function shown(p: ParameterSpec): string {
  const name = `${p.rest ? "..." : ""}${p.name}${p.type ? `: ${p.type}` : ""}`;
  return p.required ? `${name} (no default)` : name;
}

/** An error message for the input, naming the parameter at fault, or undefined when the run may start. */
export function validateParameters(text: string, params: FlowParameters): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch (err) {
    return `Not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return 'Parameters must be a JSON object, e.g. {"name": "x"}.';
  const unknown = unknownParameters(params, Object.keys(value));
  if (unknown.length > 0) {
    const names = params.parameters.map((p) => p.name);
    const takes = names.length ? `it takes: ${names.join(", ")}` : "it takes none";
    return `Unknown parameter${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")}; ${takes}.`;
  }
  // The same check the flow process makes against the flow's TypeScript signature before its run exists.
  const typed = checkParameterTypes(params, value as Record<string, unknown>);
  const problem = parameterProblem(value as Record<string, unknown>) ?? ("problem" in typed ? typed.problem : undefined);
  return problem === undefined ? undefined : problem.charAt(0).toUpperCase() + problem.slice(1);
}

export function parseParameters(text: string): Record<string, unknown> {
  return JSON.parse(text.trim() === "" ? "{}" : text) as Record<string, unknown>;
}
