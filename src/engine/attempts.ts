import { engineConfig } from "./config";
import type { RunContext } from "./context";
import { debugEnabled, emitLog } from "./logging";
import { persistFailure } from "./results";
import { retryDelaySeconds, sleep } from "./retries";
import { emitState, emitTransition, errorDetail, failureState, isInstance, isPromiseLike, runHooks, type Hook, type RunOptions } from "./run-common";
import { State } from "./states";
import { raceStop, Stopper } from "./stopper";
import { StorageKeyError } from "./storage-key";
import { toJsonSafe } from "./json-safe";
import type { LogLevel } from "../shared/events";
import { runLabel } from "../shared/log-line";

// The attempts of a flow run or a task run, one loop for both: each attempt runs the user's function under
// the run's timeout, a completed value is stored when the run persists results, a failure is retried as
// the options say (a key that cannot be rendered never is), and the final state is recorded, logged and
// handed to the hooks. What differs between a flow run and a task run is in its AttemptedRun subclass.

type AnyHook = Hook<never, never>;

/** The hooks a final state calls, by state type. */
export interface RunHooks {
  onCompletion: readonly AnyHook[];
  onFailure: readonly AnyHook[];
  onCancellation: readonly AnyHook[];
}

/** What a flow or a task definition gives each of its runs' attempts. */
export interface AttemptDef {
  readonly options: Readonly<RunOptions<unknown>>;
  readonly retries: number;
  /** Completed values are stored (and failures' errors, at a random key). */
  readonly persist: boolean;
  readonly hooks: RunHooks;
  /** The flow or task: the hooks' first argument. */
  readonly self: unknown;
}

/** A flow run or a task run as runAttempts drives it; the subclasses say what differs. */
export abstract class AttemptedRun {
  abstract readonly kind: "flow" | "task";
  /**
   * Whether each attempt needs a stopper of its own. A flow run's does, to stop the runs it started when
   * it ends; a task run without a timeout shares its flow run's (one object fewer on the hot path).
   */
  abstract readonly ownStopper: boolean;
  /** Each state the run's future sees (task runs that were submitted). */
  readonly onState?: (state: State) => void;

  constructor(
    readonly def: AttemptDef,
    /** The engine's record of the run: its attempt count and the stopper of its current attempt. */
    readonly record: { readonly id: string; readonly name: string; runCount: number; stopper: Stopper },
    readonly ctx: RunContext,
    /** Ends the whole run: every attempt stops with it, and so does the wait before a retry. */
    readonly cancel: Stopper,
  ) {}

  /** Called as each attempt starts, once its Running state is recorded. */
  abstract attemptStarted(name: "Running" | "Retrying"): void;
  /** Calls the user's function once. */
  abstract call(): unknown;
  /** The attempt's state from what the function returned or threw (a flow run waits for its children here). */
  abstract settle(value: unknown, threw: boolean, thrown: unknown, attempt: Stopper): State | Promise<State>;
  /** Stores a completed value; returns its storage key and the state to end in. */
  abstract save(value: unknown, state: State): { resultKey: string; state: State };
  /** What the hooks get as the run. */
  abstract hookInfo(): unknown;
}

/** Runs the attempts and ends the run; resolves to its final state. */
export async function runAttempts(run: AttemptedRun): Promise<State> {
  const { record, cancel, ctx, kind } = run;
  const { options, retries } = run.def;
  const what = kind === "flow" ? "Flow run" : "Task run";
  let state: State;
  let resultKey: string | undefined;
  for (;;) {
    record.runCount++;
    const runningName = record.runCount > 1 ? "Retrying" : "Running";
    emitTransition(kind, record.id, "Running", runningName, record.runCount);
    run.attemptStarted(runningName);
    const attempt = options.timeoutSeconds === undefined && !run.ownStopper ? cancel : new Stopper(cancel, options.timeoutSeconds, runLabel(kind, record.name));
    record.stopper = attempt;
    let value: unknown;
    let thrown: unknown;
    let threw = false;
    try {
      value = run.call();
      if (isPromiseLike(value)) value = await raceStop(value, attempt);
      else if (attempt.stopped) throw attempt.reason;
    } catch (err) {
      threw = true;
      thrown = err;
    }
    // A task run's state is at hand: awaiting it anyway would cost every task run a turn of the microtask queue.
    const settled = run.settle(value, threw, thrown, attempt);
    state = settled instanceof State ? settled : await settled;
    if (attempt !== cancel) attempt.dispose();
    resultKey = undefined;
    if (state.type === "Completed" && run.def.persist) {
      try {
        ({ resultKey, state } = run.save(value, state));
      } catch (err) {
        state = failureState(err, what);
      }
    }
    if (state.type !== "Failed") break;
    if (state.error !== undefined) emitLog(ctx, "ERROR", `Encountered exception during execution: ${errorDetail(state.error)}`);
    if (record.runCount > retries || isInstance(state.error, StorageKeyError)) break;
    const delay = Math.round(retryDelaySeconds(options.retryDelaySeconds, record.runCount, options.retryJitterFactor) * 1000) / 1000;
    const awaiting = new State("Pending", "AwaitingRetry", `Retry ${record.runCount} of ${retries} in ${delay}s`);
    emitState(kind, record.id, awaiting, record.runCount);
    run.onState?.(awaiting);
    emitLog(ctx, "INFO", `Received non-final state 'AwaitingRetry' when proposing final state 'Failed' and will attempt to run again in ${delay}s...`);
    try {
      await sleep(delay, cancel.signal);
    } catch (stopped) {
      state = failureState(stopped, what);
      break;
    }
  }
  // A failure is stored too, at a random key: it never overwrites a stored success. A key that cannot be
  // rendered leaves nothing behind, not even the failure.
  if (state.type === "Failed" && run.def.persist && state.error !== undefined && !isInstance(state.error, StorageKeyError)) {
    resultKey = persistFailure(engineConfig().home, state.error, options.resultSerializer ?? "json");
  }
  return endRun(run, state, resultKey);
}

/** Finished task runs log at DEBUG (there can be very many); how a flow run ended is always told. */
const FINISHED_LEVEL: Record<AttemptedRun["kind"], { Completed: LogLevel; Cancelled: LogLevel }> = {
  flow: { Completed: "INFO", Cancelled: "WARNING" },
  task: { Completed: "DEBUG", Cancelled: "INFO" },
};

/**
 * Records a run's final state, logs it, and runs the hooks for it (also for a run that never got to an
 * attempt). Returns the state at once when there are no hooks to wait for: most task runs have none.
 */
export function endRun(run: AttemptedRun, state: State, resultKey?: string): State | Promise<State> {
  const preview = run.kind === "flow" && state.type === "Completed" && state.data !== undefined ? toJsonSafe(state.data) : undefined;
  emitState(run.kind, run.record.id, state, run.record.runCount, resultKey, preview);
  run.onState?.(state);
  const level = state.type === "Completed" || state.type === "Cancelled" ? FINISHED_LEVEL[run.kind][state.type] : "ERROR";
  if (level !== "DEBUG" || debugEnabled()) emitLog(run.ctx, level, `Finished in state ${state}`);
  const { hooks } = run.def;
  const list = state.type === "Completed" ? hooks.onCompletion : state.type === "Cancelled" ? hooks.onCancellation : hooks.onFailure;
  if (list.length === 0) return state;
  return runHooks(list as readonly Hook<unknown, unknown>[], hookKind(state), run.def.self, run.hookInfo(), state, run.ctx).then(() => state);
}

function hookKind(state: State): string {
  return state.type === "Completed" ? "onCompletion" : state.type === "Cancelled" ? "onCancellation" : "onFailure";
}
