import type { CacheIndex, EngineSink } from "../engine/config";
import type { CacheIndexEntry } from "../engine/cache-index";
import { encodeEvent } from "../engine/journal";
import type { ResultStorage } from "../engine/result-storage";
import type { EngineEvent } from "../shared/events";
import { teamPool } from "./pg-pool";
import { type PgWriter } from "./pg-writer";

// The engine's side of team mode: its events, cache entries and (by default) results go to PostgreSQL
// through one PgWriter, so they commit in the order they happened. Events are still streamed to the
// parent as journal lines (`onFlush`), for the live view; there is no local journal to fold.

export class PgSink implements EngineSink {
  private lines: string[] = [];
  private scheduled = false;

  constructor(
    readonly writer: PgWriter,
    private readonly onFlush?: (lines: string) => void,
  ) {}

  emit(event: EngineEvent): void {
    this.writer.push(event);
    if (!this.onFlush) return;
    this.lines.push(encodeEvent(event));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushSync());
    }
  }

  /** Sends the live lines and starts the commit; `committed()` is what waits for it. */
  flushSync(): void {
    this.scheduled = false;
    this.writer.flush();
    if (this.lines.length === 0) return;
    const text = this.lines.join("\n") + "\n";
    this.lines = [];
    this.onFlush?.(text);
  }

  syncToDisk(): void {
    this.flushSync();
  }

  committed(): Promise<void> {
    this.flushSync();
    return this.writer.committed();
  }

  close(): void {
    this.flushSync();
  }
}

/** Results as rows of the team database, committed with the events around them. */
export class PgResults implements ResultStorage {
  readonly where = "PostgreSQL";
  /** What this process wrote, for a lazily read result (cacheResultInMemory: false) that must be read at once. */
  private readonly mine = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly writer: PgWriter,
  ) {}

  write(key: string, body: string): void {
    this.writer.push({ e: "result", key, body, ts: new Date().toISOString() });
    this.mine.set(key, body);
  }

  async read(key: string): Promise<string> {
    const local = this.mine.get(key);
    if (local !== undefined) return local;
    const pool = await teamPool(this.url);
    const row = (await pool.query<{ body: string }>("SELECT body FROM results WHERE key = $1", [key])).rows[0];
    if (!row) throw new Error(`no result is stored at ${JSON.stringify(key)} in the team database`);
    return row.body;
  }

  readLocal(key: string): string | undefined {
    return this.mine.get(key);
  }
}

/** The cache index in the team database: a cached result found by any machine. */
export class PgCacheIndex implements CacheIndex {
  constructor(
    private readonly url: string,
    private readonly writer: PgWriter,
  ) {}

  async lookup(cacheKey: string, now: Date): Promise<{ storageKey: string } | undefined> {
    const pool = await teamPool(this.url);
    const row = (await pool.query<{ storage_key: string }>(
      "SELECT storage_key FROM cache_entries WHERE cache_key = $1 AND (expires_at IS NULL OR expires_at > $2)",
      [cacheKey, now.toISOString()],
    )).rows[0];
    return row ? { storageKey: row.storage_key } : undefined;
  }

  async remember(entry: CacheIndexEntry): Promise<void> {
    this.writer.push({ e: "cache", cacheKey: entry.cacheKey, storageKey: entry.storageKey, taskRunId: entry.taskRunId ?? "", created: entry.created, expiresAt: entry.expiresAt });
  }
}
