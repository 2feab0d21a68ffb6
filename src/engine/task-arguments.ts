import { UpstreamError, UserError } from "./errors";
import { isFuture, isUnmapped } from "./future";
import { isPlainObject } from "../shared/objects";

// A task call's arguments: futures among them resolved to their values, and map()'s arguments spread
// into one argument list per task run.

// Futures passed as arguments (at the top level, or one level into arrays and plain objects) are
// awaited and replaced by their values, as Prefect resolves upstream futures.
export function hasFutures(args: unknown[]): boolean {
  for (const arg of args) {
    if (isFuture(arg)) return true;
    if (Array.isArray(arg)) {
      if (arg.length <= 10_000) for (const v of arg) if (isFuture(v)) return true;
    } else if (isPlainObject(arg)) {
      for (const k in arg) if (isFuture((arg as Record<string, unknown>)[k])) return true;
    }
  }
  return false;
}

export async function resolveFutures(args: unknown[]): Promise<unknown[]> {
  const one = async (v: unknown): Promise<unknown> => {
    if (!isFuture(v)) return v;
    const state = await v.wait();
    if (state.type !== "Completed") throw new UpstreamError(`Upstream task run ${v.id} did not complete (${state.name}); this task run did not start.`);
    return state.result();
  };
  return Promise.all(
    args.map(async (arg) => {
      if (isFuture(arg)) return one(arg);
      if (Array.isArray(arg)) return Promise.all(arg.map(one));
      if (isPlainObject(arg)) {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(arg)) out[k] = await one((arg as Record<string, unknown>)[k]);
        return out;
      }
      return arg;
    }),
  );
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
