// What a run tree may log: a cap on lines and bytes, so a flow that floods its log cannot fill the
// journal, the database and the editor's output without end.

const DEFAULT_MAX_LOG_LINES = 10_000;
const DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024;

/** Log lines kept per run tree: $FLOWLINE_MAX_LOG_LINES (a whole number; 0 = no cap), else 10,000. */
export function maxLogLines(env: NodeJS.ProcessEnv = process.env): number {
  return capFromEnv(env.FLOWLINE_MAX_LOG_LINES, DEFAULT_MAX_LOG_LINES);
}

/** Bytes of log text (UTF-8) kept per run tree: $FLOWLINE_MAX_LOG_BYTES (0 = no cap), else 10 MiB. */
export function maxLogBytes(env: NodeJS.ProcessEnv = process.env): number {
  return capFromEnv(env.FLOWLINE_MAX_LOG_BYTES, DEFAULT_MAX_LOG_BYTES);
}

function capFromEnv(text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) return fallback;
  return n === 0 ? Infinity : n;
}

/**
 * What a run tree (a top-level flow run with all its subflows and task runs) may still log. A flow that
 * floods its log must not fill the journal, the database and the editor's output without end, and
 * splitting the work into subflows must not multiply the allowance. Lines outside any run share one.
 */
export class LogBudget {
  private readonly maxLines = maxLogLines();
  private readonly maxBytes = maxLogBytes();
  private lines = 0;
  private bytes = 0;
  private full = false;

  /** The line to record: the message, the note that the cap was reached (once), or undefined (dropped). */
  take(message: string): { message: string; capped: boolean } | undefined {
    if (this.full) return undefined;
    const size = Buffer.byteLength(message);
    if (this.lines < this.maxLines && this.bytes + size <= this.maxBytes) {
      this.lines++;
      this.bytes += size;
      return { message, capped: false };
    }
    this.full = true;
    const note =
      this.lines >= this.maxLines
        ? `Log lines after ${this.maxLines} were dropped for this flow run and its subflows (FLOWLINE_MAX_LOG_LINES=${this.maxLines}); ` +
          `the run goes on. Raise FLOWLINE_MAX_LOG_LINES (0 = no cap) to keep more.`
        : `Log lines after the first ${this.lines} (${mib(this.bytes)}) were dropped for this flow run and its subflows: the next would ` +
          `pass FLOWLINE_MAX_LOG_BYTES=${this.maxBytes} (${mib(this.maxBytes)}); the run goes on. Raise FLOWLINE_MAX_LOG_BYTES (0 = no cap) to keep more.`;
    return { message: note, capped: true };
  }
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
