import { flowRegistry, isFlow, type Flow } from "../engine/flow";
import { flowParameters, paramSpec } from "../engine/params";
import { parameterDefaults, standardSchemaOf } from "../engine/standard-schema";
import type { FlowSummary } from "./protocol";
import type { FlowSignature } from "./signature-types";

// The flows a loaded flow file defines, as the child reports them in `loaded`: exported ones first (a
// default export first of all), then those the file made without exporting, which can still be run by name.

export interface LoadedFlow {
  flow: Flow;
  summary: FlowSummary;
}

export function loadedFlows(exports: Record<string, unknown>): LoadedFlow[] {
  const found: LoadedFlow[] = [];
  const seen = new Set<unknown>();
  const candidates: Array<[string | undefined, unknown]> = Object.entries(exports);
  if (isFlow(exports)) candidates.unshift(["default", exports]);
  const add = (value: Flow, exportName: string | undefined) => {
    seen.add(value);
    const parameters = flowParameters(paramSpec(value.fn), parameterDefaults(value.options.parameters));
    found.push({ flow: value, summary: { ...(exportName !== undefined ? { exportName } : {}), name: value.name, parameters } });
  };
  for (const [name, value] of candidates) if (isFlow(value) && !seen.has(value)) add(value, name);
  for (const value of flowRegistry) if (!seen.has(value)) add(value, undefined);
  return found;
}

/**
 * Adds the types a flow's TypeScript signature gives its parameters (signature-types.ts) to what the engine
 * reads from its compiled function. A flow is matched by the variable it is exported as, else by its name.
 */
export function addSignatureTypes(found: LoadedFlow[], signatures: FlowSignature[]): void {
  for (const loaded of found) {
    // A flow with a Standard Schema for its parameters has that schema as its one check (it may coerce).
    if (standardSchemaOf(loaded.flow.options.parameters) !== undefined) continue;
    const { exportName, name } = loaded.summary;
    const signature =
      signatures.find((s) => exportName !== undefined && s.variable === exportName) ??
      signatures.find((s) => s.name === name) ??
      signatures.find((s) => s.name === undefined && s.variable === name);
    if (signature === undefined) continue;
    const params = loaded.summary.parameters;
    const lone = params.parameters.length === 0 && params.open && params.kind === "positional" && signature.mode === "object";
    // `(opts: Options)` called with one object: its parameters are Options' properties.
    if (lone) params.parameters = signature.parameters.map((p) => ({ name: p.name, required: !p.optional }));
    for (const typed of signature.parameters) {
      const spec = params.parameters.find((p) => p.name === typed.name);
      if (spec === undefined || spec.rest) continue;
      spec.type = typed.type;
      spec.schema = typed.schema;
      if (!typed.optional && spec.required) spec.typeRequired = true;
    }
  }
}
