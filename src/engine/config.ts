import type { EngineEvent, LogLevel } from "./events";
import { resolveHome } from "./home";
import { JournalWriter } from "./journal";

/** Where the engine's events go. */
export interface EngineSink {
  emit(event: EngineEvent): void;
  /** Makes every event emitted so far durable (survives a kill of this process) before returning. */
  flushSync(): void;
  close(): void;
}

export class JournalSink implements EngineSink {
  private readonly writer: JournalWriter;
  constructor(home: string, onFlush?: (lines: string) => void) {
    this.writer = new JournalWriter(home, onFlush);
  }
  emit(event: EngineEvent): void { this.writer.append(event); }
  flushSync(): void { this.writer.flushSync(); }
  close(): void { this.writer.close(); }
}

export interface CacheHit {
  storageKey: string;
}

/** Looks a cache key up among results stored by earlier runs, in any process. */
export type CacheIndex = (home: string, cacheKey: string, now: Date) => Promise<CacheHit | undefined>;

export interface EngineConfig {
  home: string;
  sink: EngineSink;
  /** Print run logs to stderr (in-process use). The runner's child turns this off: its parent prints. */
  consoleLogs: boolean;
  logLevel: LogLevel;
  cacheIndex: CacheIndex | undefined;
}

const LEVELS: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LEVELS[level] >= LEVELS[threshold];
}

export function parseLogLevel(text: string | undefined): LogLevel {
  const upper = (text ?? "").trim().toUpperCase();
  if (upper === "WARN") return "WARNING";
  return upper in LEVELS ? (upper as LogLevel) : "INFO";
}

let current: EngineConfig | undefined;
let exitHooked = false;
let defaultCacheIndex: CacheIndex | undefined;

/** The cache index used unless one is configured (the SDK entry sets one backed by the store). */
export function setDefaultCacheIndex(index: CacheIndex): void {
  defaultCacheIndex = index;
  if (current && current.cacheIndex === undefined) current.cacheIndex = index;
}

/** The engine's configuration; made on first use: a journal under the Flowline home, logs on stderr. */
export function engineConfig(): EngineConfig {
  return current ?? configureEngine({});
}

export function configureEngine(options: Partial<EngineConfig>): EngineConfig {
  const prev = current;
  const home = options.home ?? prev?.home ?? resolveHome();
  const sink = options.sink ?? (prev && home === prev.home ? prev.sink : new JournalSink(home));
  if (prev && prev.sink !== sink) prev.sink.close();
  current = {
    home,
    sink,
    consoleLogs: options.consoleLogs ?? prev?.consoleLogs ?? true,
    logLevel: options.logLevel ?? prev?.logLevel ?? parseLogLevel(process.env.FLOWLINE_LOGGING_LEVEL),
    cacheIndex: "cacheIndex" in options ? options.cacheIndex : prev?.cacheIndex ?? defaultCacheIndex,
  };
  hookExit();
  return current;
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // A clean exit closes the journal, so readers know no run of this process is still going.
  process.on("exit", () => current?.sink.close());
}
