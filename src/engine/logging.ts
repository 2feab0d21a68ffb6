import { format } from "node:util";
import { currentContext, type RunContext } from "./context";
import { engineConfig, levelEnabled } from "./config";
import { MissingContextError } from "./errors";
import type { LogEvent, LogLevel } from "./events";

export interface RunLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warning(...args: unknown[]): void;
  /** Same as `warning`, for those used to console.warn. */
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** One line as the CLI prints it: `12:00:01.123 | INFO    | Task run 'hello-0' - message`. */
export function formatLogLine(event: Pick<LogEvent, "level" | "message" | "ts">, runLabel: string): string {
  const time = event.ts.slice(11, 23);
  return `${time} | ${event.level.padEnd(7)} | ${runLabel} - ${event.message}`;
}

export function runLabelOf(ctx: RunContext | undefined): string {
  if (!ctx) return "Flowline";
  return ctx.taskRun ? `Task run '${ctx.taskRun.name}'` : `Flow run '${ctx.flowRun.name}'`;
}

/** Whether DEBUG lines are recorded: checked before building a message nobody would keep. */
export function debugEnabled(): boolean {
  return levelEnabled("DEBUG", engineConfig().logLevel);
}

/** Lines longer than this many characters are cut, with a note saying how long they were. */
export const MAX_LOG_LINE_CHARS = 64 * 1024;
const DEFAULT_MAX_LOG_LINES = 10_000;

/** Log lines kept per flow run: $FLOWLINE_MAX_LOG_LINES (a whole number; 0 = no cap), else 10,000. */
export function maxLogLines(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.FLOWLINE_MAX_LOG_LINES;
  if (text === undefined || text.trim() === "") return DEFAULT_MAX_LOG_LINES;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) return DEFAULT_MAX_LOG_LINES;
  return n === 0 ? Infinity : n;
}

// Lines recorded per flow run (its task runs included); lines outside any run count together. A flow
// that floods its log must not fill the journal, the database and the editor's output without end.
const linesPerRun = new WeakMap<object, number>();
const OUTSIDE_RUNS = {};

/** Records a log line for a run (and echoes it to stderr when the engine runs in-process). */
export function emitLog(ctx: RunContext | undefined, level: LogLevel, message: string): void {
  const config = engineConfig();
  if (!levelEnabled(level, config.logLevel)) return;
  const owner: object = ctx?.flowRun ?? OUTSIDE_RUNS;
  const count = (linesPerRun.get(owner) ?? 0) + 1;
  const max = maxLogLines();
  if (count > max + 1) return;
  linesPerRun.set(owner, count);
  if (count === max + 1) {
    level = "WARNING";
    message =
      `Log lines after ${max} were dropped for this flow run (FLOWLINE_MAX_LOG_LINES=${max}); ` +
      `the run goes on. Raise FLOWLINE_MAX_LOG_LINES (0 = no cap) to keep more.`;
  } else if (message.length > MAX_LOG_LINE_CHARS) {
    message = `${message.slice(0, MAX_LOG_LINE_CHARS)}… [log line truncated: ${message.length} characters, at most ${MAX_LOG_LINE_CHARS} are kept]`;
  }
  const event: LogEvent = {
    e: "log",
    flowRunId: ctx?.flowRun.id,
    taskRunId: ctx?.taskRun?.id,
    level,
    message,
    ts: new Date().toISOString(),
  };
  config.sink.emit(event);
  if (config.consoleLogs) originalConsole.error(formatLogLine(event, runLabelOf(ctx)));
}

function loggerFor(ctx: RunContext): RunLogger {
  const log = (level: LogLevel) => (...args: unknown[]) => emitLog(ctx, level, format(...args));
  return { debug: log("DEBUG"), info: log("INFO"), warning: log("WARNING"), warn: log("WARNING"), error: log("ERROR") };
}

/** A logger bound to the current flow run or task run. */
export function getRunLogger(): RunLogger {
  const ctx = currentContext();
  if (!ctx) {
    throw new MissingContextError(
      "getRunLogger() was called outside a flow run or task run; call it inside a flow or task, or use console for other logging.",
    );
  }
  return loggerFor(ctx);
}

// logPrints: console output inside a run that asked for it becomes that run's logs. The console is
// patched once; each call looks at the async context, so runs with and without logPrints can mix.
const originalConsole = {
  log: console.log.bind(console),
  info: console.info.bind(console),
  warn: console.warn.bind(console),
  error: console.error.bind(console),
  debug: console.debug.bind(console),
};
let consolePatched = false;

export function enableLogPrints(): void {
  if (consolePatched) return;
  consolePatched = true;
  const route = (method: keyof typeof originalConsole, level: LogLevel) =>
    function (...args: unknown[]): void {
      const ctx = currentContext();
      const wanted = ctx && (ctx.taskRun ? ctx.taskRun.logPrints : ctx.flowRun.logPrints);
      if (wanted) emitLog(ctx, level, format(...args));
      else originalConsole[method](...args);
    };
  console.log = route("log", "INFO");
  console.info = route("info", "INFO");
  console.warn = route("warn", "WARNING");
  console.error = route("error", "ERROR");
  console.debug = route("debug", "DEBUG");
}
