import type { Durability } from "../shared/atomic-write";
import { UserError } from "./errors";
import type { EngineEvent, LogLevel } from "../shared/events";
import { resolveHome } from "../shared/home";
import { JournalWriter } from "./journal";
import type { CacheIndexEntry } from "./cache-index";
import type { ResultStorage } from "./result-storage";
import type { RemoteTaskRunner } from "./run-records";

export type { Durability } from "../shared/atomic-write";

/** Where the engine's events go. */
export interface EngineSink {
  emit(event: EngineEvent): void;
  /** Makes every event emitted so far durable (survives a kill of this process) before returning. */
  flushSync(): void;
  /** Makes every event emitted so far, and the result files written so far, survive power loss (fsync). */
  syncToDisk(): void;
  close(): void;
  /** Resolves once every event emitted so far is committed where the store reads it (team mode's sink). */
  committed?(): Promise<void>;
}

/**
 * FLOWLINE_DURABILITY: "run" (the default; a run is on disk once it is reported finished) or "fsync" (every
 * artifact, state change and result on disk before the call returns). Anything else is a UserError.
 */
export function durabilityFromEnv(env: NodeJS.ProcessEnv = process.env): Durability {
  const text = (env.FLOWLINE_DURABILITY ?? "").trim().toLowerCase();
  if (text === "" || text === "run") return "run";
  if (text === "fsync") return "fsync";
  throw new UserError(
    `FLOWLINE_DURABILITY is ${JSON.stringify(env.FLOWLINE_DURABILITY)}; use "run" (the default: a run is on disk once it is ` +
      `reported finished) or "fsync" (every artifact and state change is on disk before it returns), or unset it.`,
  );
}

export class JournalSink implements EngineSink {
  private readonly writer: JournalWriter;
  /** Throws a UserError when FLOWLINE_DURABILITY is not a known mode. */
  constructor(home: string, onFlush?: (lines: string) => void, durability: Durability = durabilityFromEnv()) {
    this.writer = new JournalWriter(home, onFlush, durability);
  }
  get durability(): Durability { return this.writer.durability; }
  emit(event: EngineEvent): void { this.writer.append(event); }
  flushSync(): void { this.writer.flushSync(); }
  syncToDisk(): void { this.writer.syncToDisk(); }
  close(): void { this.writer.close(); }
}

/**
 * Where cache entries are kept when not in the home's cache/keys/ folder (cache-index.ts): a shared store
 * (team mode) provides one.
 */
export interface CacheIndex {
  lookup(cacheKey: string, now: Date): Promise<{ storageKey: string } | undefined>;
  remember(entry: CacheIndexEntry): Promise<void>;
}

export interface EngineConfig {
  home: string;
  sink: EngineSink;
  /** Print run logs to stderr (in-process use). The runner's child turns this off: its parent prints. */
  consoleLogs: boolean;
  logLevel: LogLevel;
  cacheIndex: CacheIndex | undefined;
  /** How far results are flushed to disk when written (the journal's own flushing is the sink's). */
  durability: Durability;
  /** Where persisted results go when not the home's storage folder (team mode). */
  results?: ResultStorage;
  /** Runs the task runs of flows with taskRunner "distributed" (team mode's queue). */
  remoteTasks?: RemoteTaskRunner;
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
    cacheIndex: "cacheIndex" in options ? options.cacheIndex : prev?.cacheIndex,
    results: "results" in options ? options.results : prev?.results,
    remoteTasks: "remoteTasks" in options ? options.remoteTasks : prev?.remoteTasks,
    durability: options.durability ?? (sink instanceof JournalSink ? sink.durability : prev?.durability ?? durabilityFromEnv()),
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
