import { types } from "node:util";
import { isoTime } from "./clock";
import { engineConfig } from "./config";
import type { RunContext } from "./context";
import { CancelledError, TimeoutError, UserError } from "./errors";
import type { StateEvent, StateType } from "../shared/events";
import { emitLog } from "./logging";
import type { RetryDelay } from "./retries";
import type { SerializerOption } from "./serializer";
import { State } from "./states";
import { userFirstStack } from "./user-frames";

// What flow runs and task runs share: recording states, hooks, cancellation and timeouts.

export function emitState(kind: "flow" | "task", id: string, state: State, runCount?: number, resultKey?: string, result?: unknown): void {
  const event: StateEvent = { e: "state", kind, id, type: state.type, name: state.name, ts: isoTime(state.time) };
  if (state.message !== undefined) event.message = state.message;
  if (runCount !== undefined) event.runCount = runCount;
  if (resultKey !== undefined) event.resultKey = resultKey;
  if (result !== undefined) event.result = result;
  engineConfig().sink.emit(event);
}

/** A state change with no message, result or State object: the hot path of every run. */
export function emitTransition(kind: "flow" | "task", id: string, type: StateType, name: string, runCount: number): void {
  engineConfig().sink.emit({ e: "state", kind, id, type, name, ts: isoTime(), runCount });
}

/** The options flows and tasks share, with Prefect's meanings (camelCase). */
export interface RunOptions<H> {
  /** The name runs are recorded under (default: the function's name, or its export's). `{ name: "etl" }` */
  name?: string;
  /** What it does, shown with its runs. */
  description?: string;
  /** Labels recorded on every run, readable as `runtime.flowRun.tags` / `runtime.taskRun.tags`. `{ tags: ["nightly"] }` */
  tags?: string[];
  /** A version string recorded with its runs. */
  version?: string;
  /** How many times a failed run is tried again (default 0). `{ retries: 3, retryDelaySeconds: [1, 10, 60] }` */
  retries?: number;
  /** Seconds before each retry: a number, a list (one per retry), or a function of the retry number. */
  retryDelaySeconds?: RetryDelay;
  /** Spreads retry delays by up to ± this fraction, so many runs do not retry at once. */
  retryJitterFactor?: number;
  /** A run still going after this many seconds ends TimedOut (a Failed state); its signal fires. */
  timeoutSeconds?: number;
  /** Store the result under the storage folder (on by default when a resultStorageKey or cacheKeyFn is given). */
  persistResult?: boolean;
  /** Where the result is stored, under the storage folder: a template such as "hello__{parameters.name}.json". */
  resultStorageKey?: string;
  /** How a persisted result is written: "json" (default; Dates, Maps, BigInts... round-trip) or `{ dumps, loads }`. */
  resultSerializer?: SerializerOption;
  /** false: keep only the stored copy, and read it back when the result is asked for (large results). */
  cacheResultInMemory?: boolean;
  /** console.log inside the run becomes run logs. */
  logPrints?: boolean;
  /** Called with the run and its state when a run completes. `{ onCompletion: (_, run) => notify(run.name) }` */
  onCompletion?: H | H[];
  /** Called with the run and its state when a run fails (after its last retry). */
  onFailure?: H | H[];
  /** Default parameter values, used where a call leaves them out. */
  parameters?: Record<string, unknown>;
}

export type Hook<O, R> = (owner: O, run: R, state: State) => void | Promise<void>;

type UserFn = (...args: unknown[]) => unknown;

/** `flow(fn)` or `flow(options, fn)` (and the same for task): the options and the function, or what to write. */
export function definitionArgs<O extends object>(what: "flow" | "task", a: O | UserFn, b: UserFn | undefined): [O, UserFn] {
  const [options, fn] = typeof a === "function" ? [{} as O, a] : [a, b];
  if (typeof fn !== "function") throw new UserError(`${what}() needs a function: ${what}(fn) or ${what}({ name, ... }, fn).`);
  return [options ?? ({} as O), fn];
}

/**
 * Names a flow or task made from an anonymous function (`export const etl = flow(async () => ...)`) after
 * its export, as a Python function's name would be. The runner calls it before any run starts.
 */
export function adoptExportName(def: { name: string; readonly options: { name?: string }; readonly fn: UserFn } | undefined, value: object, exportName: string): void {
  if (!def || def.options.name !== undefined || def.fn.name) return;
  def.name = exportName;
  Object.defineProperty(value, "name", { value: exportName, configurable: true });
}

export function hookList<O, R>(hooks: Hook<O, R> | readonly Hook<O, R>[] | undefined): readonly Hook<O, R>[] {
  if (!hooks) return [];
  return typeof hooks === "function" ? [hooks] : hooks;
}

/** Runs hooks in order; a hook that throws is logged and does not change the run's state (Prefect). */
export async function runHooks<O, R>(
  hooks: readonly Hook<O, R>[],
  kind: string,
  owner: O,
  run: R,
  state: State,
  ctx: RunContext,
): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook(owner, run, state);
    } catch (err) {
      emitLog(ctx, "ERROR", `The ${kind} hook ${hook.name || "(anonymous)"} failed: ${describeError(err)}`);
    }
  }
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

// What a run threw is user data: a thrown Proxy runs its traps, and an error's getters can throw, when
// looked at. Describing it must never throw in turn, or a Failed run would end Crashed.

/** What a run threw, in one line. A Proxy is not looked into; a value whose reading throws is named so. */
export function describeError(err: unknown): string {
  if (types.isProxy(err)) return "a Proxy object (Flowline does not look into a thrown Proxy)";
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
  } catch {
    return "a value that could not be described (reading it threw)";
  }
}

/** `value instanceof type`, without calling a Proxy's traps; false when the check itself throws. */
export function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  if (types.isProxy(value)) return false;
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** The stack of what a run threw (source-mapped), else its one-line description. */
export function errorStack(err: unknown): string {
  try {
    if (isInstance(err, Error) && typeof err.stack === "string" && err.stack !== "") return err.stack;
  } catch {
    // a stack getter that throws: fall back to the description
  }
  return describeError(err);
}

/** Errors whose stack a run's log already shows: a task's error that its flow re-throws is not printed twice. */
const logged = new WeakSet<object>();

/**
 * What a failed attempt logs: a timeout or a cancel in one line (their stack is Flowline's own), else the
 * stack with the user's frames first; an error already logged (by the task run that raised it) in one line.
 */
export function errorDetail(err: unknown): string {
  if (isInstance(err, TimeoutError) || isInstance(err, CancelledError)) return describeError(err);
  if (typeof err === "object" && err !== null && !types.isProxy(err)) {
    if (logged.has(err)) return `${describeError(err)} (its stack is logged above)`;
    logged.add(err);
  }
  return userFirstStack(errorStack(err));
}

/** The final state for what a run threw. */
export function failureState(err: unknown, kind: "Flow run" | "Task run"): State {
  if (isInstance(err, CancelledError)) return new State("Cancelled", "Cancelled", err.message, undefined, err);
  if (isInstance(err, TimeoutError)) return new State("Failed", "TimedOut", err.message, undefined, err);
  return new State("Failed", "Failed", `${kind} encountered an exception: ${describeError(err)}`, undefined, err);
}

/** Renders a run name template such as "hello-{name}" from parameters; a function gets the parameters. */
export function renderRunName(
  template: string | ((parameters: Record<string, unknown>) => string),
  parameters: Record<string, unknown>,
  option: string,
): string {
  if (typeof template === "function") return String(template(parameters));
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    const path = (field ?? "").trim().replace(/^parameters\./, "").split(".");
    let value: unknown = parameters;
    for (const part of path) {
      if (value === null || typeof value !== "object" || !(part in (value as object))) {
        throw new UserError(`${option} "${template}" names {${field}}, but there is no parameter '${path.join(".")}' (parameters: ${Object.keys(parameters).join(", ") || "none"}).`);
      }
      value = (value as Record<string, unknown>)[part];
    }
    return value instanceof Date ? value.toISOString() : typeof value === "object" ? JSON.stringify(value) : String(value);
  });
}
