import { flowRegistry, isFlow, type Flow } from "../engine/flow";
import { flowParameters, paramSpec } from "../engine/params";
import type { FlowSummary } from "./protocol";

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
    const parameters = flowParameters(paramSpec(value.fn), value.options.parameters);
    found.push({ flow: value, summary: { ...(exportName !== undefined ? { exportName } : {}), name: value.name, parameters } });
  };
  for (const [name, value] of candidates) if (isFlow(value) && !seen.has(value)) add(value, name);
  for (const value of flowRegistry) if (!seen.has(value)) add(value, undefined);
  return found;
}
