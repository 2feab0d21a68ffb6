import { UpstreamError, UserError } from "./errors";
import { isAllowFailure, isFuture, isUnmapped, isWaitFor, type Future } from "./future";
import { State as StateClass, type State } from "./states";
import { isPlainObject } from "../shared/objects";

// A task call's arguments: futures among them resolved to their values, and map()'s arguments spread
// into one argument list per task run.

// Futures anywhere in the arguments (in plain objects and arrays, at any depth) are awaited and replaced
// by their values, as Prefect resolves upstream futures. `waitFor(...)` markers are taken out of the
// argument list and only waited for; `allowFailure(f)` passes f's value, or the error f failed with.

/** How many values a call's arguments are searched through for futures: a call given a huge list is not slowed. */
const SEARCH_BUDGET = 100_000;

/** Whether the arguments hold anything to wait for. Cheap for the common call of a few plain values. */
export function hasFutures(args: unknown[]): boolean {
  let stack: unknown[] | undefined;
  let budget = SEARCH_BUDGET;
  for (const arg of args) {
    if (typeof arg !== "object" || arg === null) continue;
    (stack ??= []).push(arg);
    while (stack.length > 0) {
      const v = stack.pop();
      if (isFuture(v) || isWaitFor(v) || isAllowFailure(v)) return true;
      const items = Array.isArray(v) ? v : isPlainObject(v) ? Object.values(v as Record<string, unknown>) : undefined;
      if (items === undefined) continue;
      // Past the budget, the rest of a huge value is passed as it is.
      if ((budget -= items.length) < 0) return false;
      for (const item of items) if (typeof item === "object" && item !== null) stack.push(item);
    }
  }
  return false;
}

/**
 * The arguments with every future replaced by its value (containers holding one are copied; others are
 * passed as they are) and `waitFor` markers taken out. Rejects with an UpstreamError, which makes the run
 * NotReady, when a future it depends on did not complete and is not wrapped in `allowFailure`.
 */
export async function resolveFutures(args: unknown[]): Promise<unknown[]> {
  const waits: Array<Promise<unknown>> = [];
  const kept = args.filter((arg) => {
    if (!isWaitFor(arg)) return true;
    for (const f of arg.futures) waits.push(isAllowFailure(f) ? f.future.wait() : f.wait().then(completedValue(f)));
    return false;
  });
  const values = await Promise.all([...kept.map((arg) => resolveDeep(arg, 0)), ...waits]);
  return values.slice(0, kept.length);
}

function completedValue(future: Future): (state: State) => unknown {
  return (state) => {
    if (state.type !== "Completed") throw new UpstreamError(`Upstream task run ${future.id} did not complete (${state.name}); this task run did not start.`);
    return state.result();
  };
}

async function resolveDeep(value: unknown, depth: number): Promise<unknown> {
  if (typeof value !== "object" || value === null || depth > 100) return value;
  if (isFuture(value)) return value.wait().then(completedValue(value));
  if (isAllowFailure(value)) {
    const state = await value.future.wait();
    return state.type === "Completed" ? state.result() : state.error;
  }
  if (!hasFutures([value])) return value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveDeep(v, depth + 1)));
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const resolved = await Promise.all(entries.map(([, v]) => resolveDeep(v, depth + 1)));
  const out: Record<string, unknown> = {};
  entries.forEach(([k], i) => (out[k] = resolved[i]));
  return out;
}

/**
 * The argument lists of the runs `task.map(...)` starts: how many, and the list of run `i`, made only when
 * that run starts (a map over a million items holds the user's arrays, not a million argument lists).
 * Throws at once when the arrays do not fit together.
 */
export function mapArguments(name: string, given: unknown[]): { length: number; at(i: number): unknown[] } {
  // The arrays as they are now: a flow that changes them after the call does not change its runs.
  const args = given.map(snapshot);
  // The object form, task.map({ name: ["a", "b"], greeting: unmapped("hi") }), maps its array fields.
  if (args.length === 1 && isPlainObject(given[0])) {
    const obj = Object.fromEntries(Object.entries(given[0] as Record<string, unknown>).map(([k, v]) => [k, snapshot(v)]));
    const keys = Object.keys(obj);
    const length = commonLength(name, keys.map((k) => [k, obj[k]] as const));
    if (length !== undefined) {
      return {
        length,
        at(i) {
          const one: Record<string, unknown> = {};
          for (const k of keys) one[k] = pickMapped(obj[k], i);
          return [one];
        },
      };
    }
  }
  const length = commonLength(name, args.map((a, i) => [`argument ${i + 1}`, a] as const));
  if (length === undefined) {
    throw new UserError(`${name}.map() needs at least one array to map over; wrap values every run shares in unmapped(...).`);
  }
  return { length, at: (i) => args.map((a) => pickMapped(a, i)) };
}

function snapshot(value: unknown): unknown {
  return Array.isArray(value) ? value.slice() : value;
}

function commonLength(name: string, entries: ReadonlyArray<readonly [string, unknown]>): number | undefined {
  let length: number | undefined;
  let first = "";
  for (const [label, value] of entries) {
    if (!Array.isArray(value)) continue;
    if (length === undefined) {
      length = value.length;
      first = label;
    } else if (value.length !== length) {
      throw new UserError(`${name}.map() needs arrays of the same length: ${first} has ${length}, ${label} has ${value.length}.`);
    }
  }
  return length;
}

function pickMapped(value: unknown, i: number): unknown {
  if (isUnmapped(value)) return value.value;
  return Array.isArray(value) ? value[i] : value;
}

/**
 * The state of a flow that returned futures (at any depth: `return [a.submit(), b.submit()]`), as Prefect
 * takes it: Failed when one of them did not complete, else Completed with their values in its place.
 */
export async function stateOfReturnedFutures(value: unknown): Promise<State> {
  const futures: Future[] = [];
  const stack: unknown[] = [value];
  for (let budget = SEARCH_BUDGET; stack.length > 0 && budget > 0; budget--) {
    const v = stack.pop();
    if (isFuture(v)) futures.push(v);
    else if (isAllowFailure(v)) futures.push(v.future);
    else if (Array.isArray(v)) stack.push(...v);
    else if (isPlainObject(v)) stack.push(...Object.values(v as Record<string, unknown>));
  }
  const states = await Promise.all(futures.map((f) => f.wait()));
  const failed = states.filter((s) => s.type !== "Completed");
  if (failed.length > 0) {
    const first = failed[0];
    const type = failed.every((s) => s.type === "Cancelled") ? "Cancelled" : "Failed";
    const message = `${failed.length} of ${states.length} futures the flow returned did not complete (the first: ${first.name}${first.message ? `: ${first.message}` : ""}).`;
    return new StateClass(type, type, message, undefined, first.error);
  }
  return new StateClass("Completed", "Completed", undefined, await resolveDeep(value, 0));
}
