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
