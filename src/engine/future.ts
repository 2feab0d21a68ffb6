import type { State } from "./states";

const FUTURE = Symbol.for("flowline.future");

/** A task run started with `submit` or `map`: wait for its state or its result. */
export class Future<T = unknown> {
  private current: State<T> | undefined;
  private readonly final: Promise<State<T>>;

  constructor(
    /** The task run's id. */
    readonly id: string,
    final: Promise<State<T>>,
    initial: State<T>,
  ) {
    this.current = initial;
    // The engine reports each state through setState, the final one included.
    this.final = final;
  }

  /** The task run's latest known state. */
  get state(): State<T> {
    return this.current!;
  }

  /** Resolves to the final state; never rejects. */
  wait(): Promise<State<T>> {
    return this.final;
  }

  /** Resolves to the task's value, or rejects with what made it fail. */
  async result(): Promise<T> {
    return (await this.final).result();
  }

  /** @internal Updated by the engine as the run moves. */
  setState(state: State<T>): void {
    this.current = state;
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

export function unmapped<T>(value: T): Unmapped<T> {
  return { [UNMAPPED]: true, value };
}

export function isUnmapped(value: unknown): value is Unmapped<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[UNMAPPED] === true;
}
