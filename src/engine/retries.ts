/** Seconds to wait before retry number `attempt` (1 for the first retry), as Prefect reads the option. */
export type RetryDelay = number | readonly number[] | ((attempt: number) => number | readonly number[]);

export function retryDelaySeconds(option: RetryDelay | undefined, attempt: number, jitterFactor?: number): number {
  let base: number;
  if (option === undefined) base = 0;
  else if (typeof option === "number") base = option;
  else if (typeof option === "function") {
    const out = option(attempt);
    base = typeof out === "number" ? out : pick(out, attempt);
  } else base = pick(option, attempt);
  if (!Number.isFinite(base) || base < 0) base = 0;
  if (jitterFactor && jitterFactor > 0) {
    // Spread retries of many runs so they do not all come back at once.
    base = Math.max(0, base * (1 + jitterFactor * (2 * Math.random() - 1)));
  }
  return base;
}

function pick(list: readonly number[], attempt: number): number {
  if (list.length === 0) return 0;
  return list[Math.min(attempt - 1, list.length - 1)];
}

/** Prefect's `exponential_backoff`: factor, 2×factor, 4×factor, ... */
export function exponentialBackoff(backoffFactor: number): (attempt: number) => number {
  return (attempt) => backoffFactor * 2 ** (attempt - 1);
}

/** Waits, but stops early (rejecting with the signal's reason) if the run is cancelled. */
export function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, seconds * 1000);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
