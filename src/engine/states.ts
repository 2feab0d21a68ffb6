import { isTerminal, type StateType } from "../shared/events";

export type { StateType } from "../shared/events";

/**
 * The state of a flow run or task run, as Prefect names them: a type (Completed, Failed, ...) and a
 * name that can be more specific (Cached is a Completed, TimedOut a Failed, AwaitingRetry a Pending,
 * Retrying a Running).
 */
export class State<T = unknown> {
  /** @internal When the state was entered, in ms: a Date is made only when asked for (most never are). */
  readonly time = Date.now();
  readonly type: StateType;
  readonly name: string;
  /** The run's value, for a Completed state. */
  readonly data?: T;
  // Set only when given: a flow may keep a million final states (in its futures), most with neither.
  declare readonly message?: string;
  /** What the run threw, for a Failed, Crashed or Cancelled state. */
  declare readonly error?: unknown;

  constructor(type: StateType, name: string = type, message?: string, data?: T, error?: unknown) {
    this.type = type;
    this.name = name;
    this.data = data;
    if (message !== undefined) (this as { message?: string }).message = message;
    if (error !== undefined) (this as { error?: unknown }).error = error;
  }

  /** When the run entered this state. */
  get timestamp(): Date {
    return new Date(this.time);
  }

  isPending(): boolean { return this.type === "Pending"; }
  isRunning(): boolean { return this.type === "Running"; }
  isCompleted(): boolean { return this.type === "Completed"; }
  isFailed(): boolean { return this.type === "Failed"; }
  isCrashed(): boolean { return this.type === "Crashed"; }
  isCancelled(): boolean { return this.type === "Cancelled"; }
  isFinal(): boolean {
    return isTerminal(this.type);
  }

  /** The run's value, or throws what made it fail. */
  result(): T {
    if (this.type === "Completed") return this.data as T;
    if (this.error !== undefined) throw this.error;
    throw new Error(`The run ended in state ${this.name}${this.message ? `: ${this.message}` : ""}; it has no result.`);
  }

  toString(): string {
    return this.message ? `${this.name}('${this.message}')` : `${this.name}()`;
  }
}

export function Completed<T>(data?: T, message?: string, name = "Completed"): State<T> {
  return new State<T>("Completed", name, message, data);
}

export function Failed(message?: string, error?: unknown, name = "Failed"): State<never> {
  return new State<never>("Failed", name, message, undefined, error);
}

export function Cancelled(message?: string, error?: unknown): State<never> {
  return new State<never>("Cancelled", "Cancelled", message, undefined, error);
}

export function Crashed(message?: string, error?: unknown): State<never> {
  return new State<never>("Crashed", "Crashed", message, undefined, error);
}
