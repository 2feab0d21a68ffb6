import { TimeoutError } from "./errors";

// Stopping a run: cancellation, a timeout, or the run it belongs to ending.

/**
 * Stops a run: an AbortSignal for user code (runtime.taskRun.signal) plus a set of callbacks for the
 * engine. Every pending task run waits on its flow run's stopper; a Set keeps that O(1) per task where
 * thousands of AbortSignal listeners would not be.
 */
export class Stopper {
  // Made only when user code asks for the signal: most task runs never do, and an AbortController
  // is a good part of a no-op task run's cost.
  private controller: AbortController | undefined;
  private stoppedWith: { reason: unknown } | undefined;
  private readonly callbacks = new Set<(reason: unknown) => void>();
  private timer: NodeJS.Timeout | undefined;
  private unlink: (() => void) | undefined;

  /** Stops when `parent` stops; after `seconds` with a TimeoutError naming `what`. */
  constructor(parent?: Stopper, seconds?: number, what = "The run") {
    if (parent) {
      if (parent.stopped) this.stop(parent.reason);
      else this.unlink = parent.onStop((reason) => this.stop(reason));
    }
    if (seconds !== undefined) {
      this.timer = setTimeout(
        () => this.stop(new TimeoutError(`${what} exceeded timeout of ${seconds} second${seconds === 1 ? "" : "s"}`)),
        seconds * 1000,
      );
    }
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stoppedWith) this.controller.abort(this.stoppedWith.reason);
    }
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.stoppedWith !== undefined;
  }

  get reason(): unknown {
    return this.stoppedWith?.reason;
  }

  onStop(callback: (reason: unknown) => void): () => void {
    this.callbacks.add(callback);
    return () => this.callbacks.delete(callback);
  }

  stop(reason: unknown): void {
    if (this.stoppedWith) return;
    this.stoppedWith = { reason };
    this.controller?.abort(reason);
    for (const callback of this.callbacks) callback(reason);
    this.callbacks.clear();
    this.dispose();
  }

  /** Ends the link to the parent and the timer; the stopper no longer fires by itself. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unlink?.();
    this.unlink = undefined;
  }
}

/** Resolves or rejects as `promise` does, or rejects with the stop reason as soon as the stopper fires. */
export function raceStop<T>(promise: PromiseLike<T>, stopper: Stopper): Promise<T> {
  if (stopper.stopped) return Promise.reject(stopper.reason);
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = stopper.onStop(reject);
    promise.then(
      (value) => {
        unsubscribe();
        resolve(value);
      },
      (error) => {
        unsubscribe();
        reject(error);
      },
    );
  });
}
