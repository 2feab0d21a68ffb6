import { engineConfig } from "./config";
import type { RunContext } from "./context";
import { debugEnabled, emitLog } from "./logging";
import { persistFailure } from "./results";
import { retryDelaySeconds, sleep } from "./retries";
import { describeError, emitState, emitTransition, errorDetail, failureState, isInstance, isPromiseLike, runHooks, type Hook, type RunOptions } from "./run-common";
import { State } from "./states";
import { Stopper, type StopListener } from "./stopper";
import { StorageKeyError } from "./storage-key";
import { toJsonSafe } from "./json-safe";
import type { LogLevel } from "../shared/events";
import { runLabel } from "../shared/log-line";

// The attempts of a flow run or a task run, one loop for both: each attempt runs the user's function under
// the run's timeout, a completed value is stored when the run persists results, a failure is retried as
// the options say (a key that cannot be rendered never is), and the final state is recorded, logged and
// handed to the hooks. What differs between a flow run and a task run is in its AttemptedRun subclass.
//
// The loop is written as steps that call each other, not as an async function: a task run is the engine's
// hot path, and every promise an async loop adds (its own, a race against cancellation, the caller's
// wait for its state) costs a no-op task run more than the rest of its bookkeeping.

type AnyHook = Hook<never, never>;

/** The hooks a final state calls, by state type. */
export interface RunHooks {
  onCompletion: readonly AnyHook[];
  onFailure: readonly AnyHook[];
  onCancellation: readonly AnyHook[];
}

/** What a flow or a task definition gives each of its runs' attempts. */
export interface AttemptDef {
  readonly options: Readonly<Omit<RunOptions<unknown>, "parameters">>;
  readonly retries: number;
  /** Completed values are stored (and failures' errors, at a random key). */
  readonly persist: boolean;
  readonly hooks: RunHooks;
  /** The flow or task: the hooks' first argument. */
  readonly self: unknown;
}

/** A flow run or a task run as runAttempts drives it; the subclasses say what differs. */
export abstract class AttemptedRun implements StopListener {
  abstract readonly kind: "flow" | "task";
  /**
   * Whether each attempt needs a stopper of its own. A flow run's does, to stop the runs it started when
   * it ends; a task run without a timeout shares its flow run's (one object fewer on the hot path).
   */
  abstract readonly ownStopper: boolean;
  abstract readonly def: AttemptDef;
  /** The engine's record of the run: its attempt count and the stopper of its current attempt. */
  abstract readonly record: { readonly id: string; readonly name: string; runCount: number; stopper: Stopper };
  abstract readonly ctx: RunContext;
  /** Ends the whole run: every attempt stops with it, and so does the wait before a retry. */
  abstract readonly cancel: Stopper;
  stopOwner: Stopper | undefined;
  stopPrev: StopListener | undefined;
  stopNext: StopListener | undefined;
  /** An attempt's value is awaited: the first of its settling and its stopper firing ends the attempt. */
  private awaiting = false;
  private over = false;

  /** Called as each attempt starts, once its Running state is recorded (a submitted run's future sees it). */
  abstract attemptStarted(name: "Running" | "Retrying"): void;
  /** Calls the user's function once. */
  abstract call(): unknown;
  /** The attempt's state from what the function returned or threw (a flow run waits for its children here). */
  abstract settle(value: unknown, threw: boolean, thrown: unknown, attempt: Stopper): State | Promise<State>;
  /** Stores a completed value; returns its storage key and the state to end in. */
  abstract save(value: unknown, state: State): { resultKey: string; state: State };
  /** What the hooks get as the run. */
  abstract hookInfo(): unknown;
  /** Each state the run's future sees (task runs that were submitted). */
  onState?(state: State): void;
  /** The run has ended in `state` (recorded, hooks run): called exactly once. */
  protected abstract ended(state: State): void;

  /** The stopper of the attempt being awaited fired: the attempt ends with its reason (after the stop, not inside it). */
  onStopped(reason: unknown): void {
    queueMicrotask(() => attemptSettled(this, undefined, true, reason));
  }

  /** @internal Ends the run with `state`, once. */
  finish(state: State): void {
    if (this.over) return;
    this.over = true;
    this.ended(state);
  }

  /** @internal */
  startAwaiting(): void {
    this.awaiting = true;
  }

  /** @internal Whether the awaited attempt had not settled yet (and now has). */
  stopAwaiting(): boolean {
    if (!this.awaiting) return false;
    this.awaiting = false;
    return true;
  }
}

/** Runs the attempts and ends the run: `run.ended` gets its final state. */
export function runAttempts(run: AttemptedRun): void {
  try {
    const { record, kind } = run;
    record.runCount++;
    const runningName = record.runCount > 1 ? "Retrying" : "Running";
    emitTransition(kind, record.id, "Running", runningName, record.runCount);
    run.attemptStarted(runningName);
    const timeout = run.def.options.timeoutSeconds;
    const attempt = timeout === undefined && !run.ownStopper ? run.cancel : new Stopper(run.cancel, timeout, runLabel(kind, record.name));
    record.stopper = attempt;
    let value: unknown;
    try {
      value = run.call();
    } catch (err) {
      return attemptEnded(run, undefined, true, err);
    }
    if (attempt.stopped || (timeout !== undefined && attempt.expireIfLate())) return attemptEnded(run, undefined, true, attempt.reason);
    if (!isPromiseLike(value)) return attemptEnded(run, value, false, undefined);
    run.startAwaiting();
    attempt.listen(run);
    try {
      value.then(
        (v) => attemptSettled(run, v, false, undefined),
        (err: unknown) => attemptSettled(run, undefined, true, err),
      );
    } catch (err) {
      attemptSettled(run, undefined, true, err); // a thenable whose then() throws
    }
  } catch (err) {
    crashed(run, err);
  }
}

/** The awaited attempt's value settled or its stopper fired, whichever came first. */
function attemptSettled(run: AttemptedRun, value: unknown, threw: boolean, thrown: unknown): void {
  if (!run.stopAwaiting()) return;
  const stopper = run.record.stopper;
  stopper.unlisten(run);
  try {
    // Settled before its timeout's timer could fire, though past it (code that blocked the event loop).
    if (run.def.options.timeoutSeconds !== undefined && stopper.expireIfLate()) return attemptEnded(run, undefined, true, stopper.reason);
    attemptEnded(run, value, threw, thrown);
  } catch (err) {
    crashed(run, err);
  }
}

function attemptEnded(run: AttemptedRun, value: unknown, threw: boolean, thrown: unknown): void {
  const settled = run.settle(value, threw, thrown, run.record.stopper);
  // A task run's state is at hand: awaiting it anyway would cost every task run a turn of the microtask queue.
  if (settled instanceof State) return afterAttempt(run, settled, value);
  settled.then(
    (state) => {
      try {
        afterAttempt(run, state, value);
      } catch (err) {
        crashed(run, err);
      }
    },
    (err: unknown) => crashed(run, err),
  );
}

function afterAttempt(run: AttemptedRun, settled: State, value: unknown): void {
  const { record, ctx, kind } = run;
  const { options, retries } = run.def;
  const attempt = record.stopper;
  if (attempt !== run.cancel) attempt.dispose();
  let state = settled;
  let resultKey: string | undefined;
  if (state.type === "Completed" && run.def.persist) {
    try {
      ({ resultKey, state } = run.save(value, state));
    } catch (err) {
      state = failureState(err, what(run));
    }
  }
  if (state.type !== "Failed") return endRun(run, state, resultKey);
  if (record.runCount > retries || isInstance(state.error, StorageKeyError)) {
    if (state.error !== undefined) emitLog(ctx, "ERROR", `Encountered exception during execution: ${errorDetail(state.error)}`);
    return endFailed(run, state);
  }
  const delay = Math.round(retryDelaySeconds(options.retryDelaySeconds, record.runCount, options.retryJitterFactor) * 1000) / 1000;
  const awaiting = new State("Pending", "AwaitingRetry", `Retry ${record.runCount} of ${retries} in ${delay}s`);
  emitState(kind, record.id, awaiting, record.runCount);
  run.onState?.(awaiting);
  // A planned retry reads as one: a warning in one line. The trace is logged if the last attempt fails too.
  const why = state.error !== undefined ? describeError(state.error) : (state.message ?? "it failed");
  emitLog(ctx, "WARNING", `Attempt ${record.runCount} of ${retries + 1} failed (${why}); retrying in ${delay}s.`);
  sleep(delay, run.cancel.signal).then(
    () => runAttempts(run),
    (stopped: unknown) => {
      try {
        endFailed(run, failureState(stopped, what(run)));
      } catch (err) {
        crashed(run, err);
      }
    },
  );
}

const what = (run: AttemptedRun) => (run.kind === "flow" ? "Flow run" : "Task run");

/**
 * A failure is stored too, at a random key: it never overwrites a stored success. A key that cannot be
 * rendered leaves nothing behind, not even the failure.
 */
function endFailed(run: AttemptedRun, state: State): void {
  let resultKey: string | undefined;
  if (run.def.persist && state.error !== undefined && !isInstance(state.error, StorageKeyError)) {
    resultKey = persistFailure(engineConfig().home, state.error, run.def.options.resultSerializer ?? "json");
  }
  endRun(run, state, resultKey);
}

/** Finished task runs log at DEBUG (there can be very many); how a flow run ended is always told. */
const FINISHED_LEVEL: Record<AttemptedRun["kind"], { Completed: LogLevel; Cancelled: LogLevel }> = {
  flow: { Completed: "INFO", Cancelled: "WARNING" },
  task: { Completed: "DEBUG", Cancelled: "INFO" },
};

/**
 * Records a run's final state, logs it, runs the hooks for it (also for a run that never got to an
 * attempt), then ends the run. Most task runs have no hooks: they end at once.
 */
export function endRun(run: AttemptedRun, state: State, resultKey?: string): void {
  try {
    const preview = run.kind === "flow" && state.type === "Completed" && state.data !== undefined ? toJsonSafe(state.data) : undefined;
    emitState(run.kind, run.record.id, state, run.record.runCount, resultKey, preview);
    run.onState?.(state);
    const level = state.type === "Completed" || state.type === "Cancelled" ? FINISHED_LEVEL[run.kind][state.type] : "ERROR";
    if (level !== "DEBUG" || debugEnabled()) emitLog(run.ctx, level, `Finished in state ${state}`);
    const { hooks } = run.def;
    const list = state.type === "Completed" ? hooks.onCompletion : state.type === "Cancelled" ? hooks.onCancellation : hooks.onFailure;
    if (list.length === 0) return run.finish(state);
    runHooks(list as readonly Hook<unknown, unknown>[], hookKind(state), run.def.self, run.hookInfo(), state, run.ctx).then(
      () => run.finish(state),
      (err: unknown) => crashed(run, err),
    );
  } catch (err) {
    crashed(run, err);
  }
}

/** Flowline itself failed while running the run (its journal could not be written, ...): it ends Crashed, unrecorded. */
export function crashed(run: AttemptedRun, err: unknown): void {
  const noun = run.kind === "flow" ? "flow run" : "task run";
  run.finish(new State("Crashed", "Crashed", `Flowline could not record this ${noun}: ${describeError(err)}`, undefined, err));
}

function hookKind(state: State): string {
  return state.type === "Completed" ? "onCompletion" : state.type === "Cancelled" ? "onCancellation" : "onFailure";
}
