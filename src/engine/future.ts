import { newId } from "./ids";
import { State } from "./states";

const PENDING = new State("Pending");

function resultOf<T>(state: State<T>): T {
  return state.result();
}

/** A future's `resolveFinal` once its run has ended. */
function SETTLED(): void {}

const FUTURE = Symbol.for("flowline.future");

/**
 * A task run started with `submit` or `map`: wait for its state or its result. A flow may hold a million of
 * them, so a future is small: its id (made when its run starts) and latest state, and a promise only once
 * something waits on it.
 */
export class Future<T = unknown> {
  private runId: string | undefined;
  private current: State<T> = PENDING as State<T>;
  private final: Promise<State<T>> | undefined;
  /** Resolves `final` once the run has ended; SETTLED after that. */
  private resolveFinal: ((state: State<T>) => void) | undefined;

  /** @internal A future of a run that will get its id when it starts (or when the id is first asked for). */
  constructor(id?: string) {
    this.runId = id;
  }

  /** The task run's id. */
  get id(): string {
    return (this.runId ??= newId());
  }

  /** The task run's latest known state. */
  get state(): State<T> {
    return this.current;
  }

  /** Resolves to the final state (once the run's hooks have run too); never rejects. */
  wait(): Promise<State<T>> {
    if (this.final === undefined) {
      this.final = this.resolveFinal === SETTLED ? Promise.resolve(this.current) : new Promise<State<T>>((resolve) => (this.resolveFinal = resolve));
    }
    return this.final;
  }

  /** Resolves to the task's value, or rejects with what made it fail. */
  result(): Promise<T> {
    if (this.resolveFinal !== SETTLED) return this.wait().then(resultOf);
    // Most futures have ended by the time they are asked (a flow that maps, then reads the results).
    try {
      return Promise.resolve(this.current.result());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** @internal Updated by the engine as the run moves. */
  setState(state: State<T>): void {
    this.current = state;
  }

  /** @internal The run has ended in `state`. */
  settle(state: State<T>): void {
    this.current = state;
    const resolve = this.resolveFinal;
    this.resolveFinal = SETTLED;
    resolve?.(state);
  }
}

// On the prototype, not on each of the (often thousands of) futures.
Object.defineProperty(Future.prototype, FUTURE, { value: true });

export function isFuture(value: unknown): value is Future {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[FUTURE] === true;
}

const UNMAPPED = Symbol.for("flowline.unmapped");

/** Marks an argument of `task.map` as the same for every mapped run (Prefect's `unmapped`). */
export interface Unmapped<T> {
  readonly [UNMAPPED]: true;
  readonly value: T;
}

/** A value `task.map` passes whole to every run instead of mapping over it. `add.map([1, 2, 3], unmapped(10))` */
export function unmapped<T>(value: T): Unmapped<T> {
  return { [UNMAPPED]: true, value };
}

export function isUnmapped(value: unknown): value is Unmapped<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[UNMAPPED] === true;
}

const WAIT_FOR = Symbol.for("flowline.waitFor");
const ALLOW_FAILURE = Symbol.for("flowline.allowFailure");

/** Futures a task run waits for without taking their values (Prefect's `wait_for`). */
export interface WaitFor {
  readonly [WAIT_FOR]: true;
  readonly futures: ReadonlyArray<Future | AllowFailure<unknown>>;
}

/** A future whose failure does not stop the task run given it (Prefect's `allow_failure`). */
export interface AllowFailure<T> {
  readonly [ALLOW_FAILURE]: true;
  readonly future: Future<T>;
}

/**
 * A marker argument, like `unmapped`: `next.submit(5, waitFor(a, b))` starts `next` once `a` and `b` have
 * ended, without passing their values. Each must have completed, unless wrapped in `allowFailure`.
 */
export function waitFor<T extends unknown[]>(...futures: { [K in keyof T]: Future<T[K]> | AllowFailure<T[K]> }): WaitFor {
  for (const f of futures) {
    if (!isFuture(f) && !isAllowFailure(f)) throw new TypeError("waitFor(...) takes futures (from task.submit or task.map) or allowFailure(future).");
  }
  return { [WAIT_FOR]: true, futures: futures as ReadonlyArray<Future | AllowFailure<unknown>> };
}

/**
 * Lets a task run start after `future` failed (Prefect's `allow_failure`): in `waitFor(...)` only the
 * ordering counts; as an argument it passes the value, or the error the upstream run failed with.
 */
export function allowFailure<T>(future: Future<T>): AllowFailure<T> {
  if (!isFuture(future)) throw new TypeError("allowFailure(...) takes a future (from task.submit or task.map).");
  return { [ALLOW_FAILURE]: true, future };
}

export function isWaitFor(value: unknown): value is WaitFor {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[WAIT_FOR] === true;
}

export function isAllowFailure(value: unknown): value is AllowFailure<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[ALLOW_FAILURE] === true;
}
