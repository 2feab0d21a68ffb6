// A tiny event emitter with VS Code's `Event<T>` shape (`onX(listener) → { dispose }`), for the plain-Node
// parts of the extension: they can be subscribed to by VS Code providers and by tests alike.

export interface Disposable {
  dispose(): void;
}

export type Listener<T> = (value: T) => void;
export type EventLike<T> = (listener: Listener<T>) => Disposable;

export class Emitter<T> {
  private listeners = new Set<Listener<T>>();

  readonly event: EventLike<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        // One failing listener must not starve the others (a tree refresh must still happen).
        console.error("Flowline: an event listener failed:", err);
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/**
 * Calls `fn` soon after `schedule()`: at most once per `ms`, the last call always followed by one. A view
 * refreshes this way while a run changes the store several times a second.
 */
export class Throttle implements Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = 0;

  constructor(
    private readonly ms: number,
    private readonly fn: () => void,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.now(), Math.max(0, this.last + this.ms - Date.now()));
  }

  /** Calls it now if the last call was at least `ms` ago, else as schedule() does. */
  soon(): void {
    if (this.timer) return;
    if (Date.now() - this.last >= this.ms) this.now();
    else this.schedule();
  }

  /** Calls it now (a pending call is dropped). */
  now(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    this.fn();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
