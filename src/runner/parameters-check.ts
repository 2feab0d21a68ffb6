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
