import { TimeoutError } from "./errors";

// Stopping a run: cancellation, a timeout, or the run it belongs to ending.

/**
 * Told when a stopper fires (a child stopper, a run awaiting its attempt). A listener is linked into the
 * stopper's list by its own fields: every running task run listens to its flow run's stopper, and a link
 * costs neither a closure nor a hash-set entry per run.
 */
export interface StopListener {
  onStopped(reason: unknown): void;
  /** @internal The stopper this listener is linked into, and its neighbours there. */
  stopOwner: Stopper | undefined;
  stopPrev: StopListener | undefined;
  stopNext: StopListener | undefined;
}

/**
 * Stops a run: an AbortSignal for user code (runtime.taskRun.signal) plus listeners for the engine.
 * Every pending task run waits on its flow run's stopper; a list keeps that O(1) per task where
 * thousands of AbortSignal listeners would not be.
 */
export class Stopper implements StopListener {
  stopOwner: Stopper | undefined;
  stopPrev: StopListener | undefined;
  stopNext: StopListener | undefined;
  // Made only when user code asks for the signal: most task runs never do, and an AbortController
  // is a good part of a no-op task run's cost.
  private controller: AbortController | undefined;
  private stoppedWith: { reason: unknown } | undefined;
  private first: StopListener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private parent: Stopper | undefined;

  /** Stops when `parent` stops; after `seconds` with a TimeoutError naming `what`. */
  constructor(parent?: Stopper, seconds?: number, what = "The run") {
    if (parent) {
      if (parent.stopped) this.stop(parent.reason);
      else {
        this.parent = parent;
        parent.listen(this);
      }
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

  /** `listener.onStopped` is called when this stopper fires, unless `unlisten` came first. */
  listen(listener: StopListener): void {
    this.unlisten(listener);
    listener.stopOwner = this;
    listener.stopPrev = undefined;
    listener.stopNext = this.first;
    if (this.first) this.first.stopPrev = listener;
    this.first = listener;
  }

  unlisten(listener: StopListener): void {
    if (listener.stopOwner !== this) return;
    const { stopPrev: prev, stopNext: next } = listener;
    if (prev) prev.stopNext = next;
    else this.first = next;
    if (next) next.stopPrev = prev;
    listener.stopOwner = listener.stopPrev = listener.stopNext = undefined;
  }

  onStopped(reason: unknown): void {
    this.stop(reason);
  }

  stop(reason: unknown): void {
    if (this.stoppedWith) return;
    this.stoppedWith = { reason };
    this.controller?.abort(reason);
    for (let listener = this.first; listener; listener = this.first) {
      this.unlisten(listener);
      listener.onStopped(reason);
    }
    this.dispose();
  }

  /** Ends the link to the parent and the timer; the stopper no longer fires by itself. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.parent?.unlisten(this);
    this.parent = undefined;
  }
}
