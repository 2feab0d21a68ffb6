import { format } from "node:util";
import { currentContext, type RunContext } from "./context";
import { isoTime } from "./clock";
import { engineConfig, levelEnabled } from "./config";
import { MissingContextError } from "./errors";
import { LogBudget } from "./log-budget";
import type { LogEvent, LogLevel } from "../shared/events";
import { formatLogLine, runLabel } from "../shared/log-line";

export interface RunLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warning(...args: unknown[]): void;
  /** Same as `warning`, for those used to console.warn. */
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

function runLabelOf(ctx: RunContext | undefined): string {
  if (!ctx) return "Flowline";
  return ctx.taskRun ? runLabel("task", ctx.taskRun.name) : runLabel("flow", ctx.flowRun.name);
}

/** Whether DEBUG lines are recorded: checked before building a message nobody would keep. */
export function debugEnabled(): boolean {
  return levelEnabled("DEBUG", engineConfig().logLevel);
}

/** Lines longer than this many characters are cut, with a note saying how long they were. */
export const MAX_LOG_LINE_CHARS = 64 * 1024;

let outsideRuns: LogBudget | undefined;

/** Records a log line for a run (and echoes it to stderr when the engine runs in-process). */
export function emitLog(ctx: RunContext | undefined, level: LogLevel, message: string): void {
  const config = engineConfig();
  if (!levelEnabled(level, config.logLevel)) return;
  if (message.length > MAX_LOG_LINE_CHARS) {
    message = `${message.slice(0, MAX_LOG_LINE_CHARS)}… [log line truncated: ${message.length} characters, at most ${MAX_LOG_LINE_CHARS} are kept]`;
  }
  const budget = ctx?.flowRun.logBudget ?? (outsideRuns ??= new LogBudget());
  const line = budget.take(message);
  if (line === undefined) return;
  const event: LogEvent = {
    e: "log",
    flowRunId: ctx?.flowRun.id,
    taskRunId: ctx?.taskRun?.id,
    level: line.capped ? "WARNING" : level,
    message: line.message,
    ts: isoTime(),
  };
  const label = runLabelOf(ctx);
  config.sink.emit(event, label);
  if (config.consoleLogs) originalConsole.error(formatLogLine(event, label));
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
