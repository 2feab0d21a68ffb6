// Parameters typed by the user for "Run with parameters…": a JSON object, checked against what the
// flow-finder knows of the flow's parameters before any run starts.

export interface KnownParams {
  /** Declared names (empty when unknown). */
  names: string[];
  defaults: Record<string, unknown>;
  /** Any key is accepted (or the names could not be read). */
  open: boolean;
}

/** The text the input starts with: the known defaults, as one line of JSON. */
export function parametersPrefill(known: KnownParams, lastUsed?: Record<string, unknown>): string {
  return JSON.stringify(lastUsed ?? known.defaults);
}

/** The input box's prompt: which parameters there are, and which have no default. */
export function parametersPrompt(known: KnownParams): string {
  if (known.names.length === 0) return known.open ? "A JSON object of parameters, e.g. {\"name\": \"x\"}" : "This flow takes no parameters: {}";
  const listed = known.names.map((n) => (n in known.defaults ? n : `${n} (no default)`));
  return `A JSON object. Parameters: ${listed.join(", ")}`;
}

/** An error message for the input, or undefined when it is a valid parameters object. */
export function validateParameters(text: string, known: KnownParams): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === "" ? "{}" : text);
  } catch (err) {
    return `Not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "Parameters must be a JSON object, e.g. {\"name\": \"x\"}.";
  if (!known.open) {
    const unknown = Object.keys(value).filter((k) => !known.names.includes(k));
    if (unknown.length > 0) {
      const takes = known.names.length ? `it takes: ${known.names.join(", ")}` : "it takes none";
      return `Unknown parameter${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")}; ${takes}.`;
    }
  }
  return undefined;
}

export function parseParameters(text: string): Record<string, unknown> {
  return JSON.parse(text.trim() === "" ? "{}" : text) as Record<string, unknown>;
}
