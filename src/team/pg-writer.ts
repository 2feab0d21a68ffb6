import type { EngineEvent } from "../shared/events";
import { CHANGES_CHANNEL } from "./pg-schema";
import { teamPool } from "./pg-pool";

// The flow process's (and a worker's) writes in team mode: events and results are collected for a tick
// and committed as one transaction, in order, through flowline_apply; the same transaction notifies the
// editors listening (LISTEN/NOTIFY). `committed()` resolves once everything queued before it is committed:
// an artifact create call awaits it, so an acknowledged artifact is in PostgreSQL.

/** What one transaction applies: engine events, and results as rows. */
export type WriteItem = EngineEvent | { e: "result"; key: string; body: string; ts: string };

export class PgWriter {
  private queue: WriteItem[] = [];
  private scheduled = false;
  /** Items pushed, and items whose transaction has ended (committed, or failed: see `failure`). */
  private pushed = 0;
  private done = 0;
  private draining = false;
  private waiters: Array<{ upTo: number; resolve(): void }> = [];
  /** Batches the database refused, by the items they held (the latest few). */
  private failures: Array<{ from: number; to: number; err: Error }> = [];

  constructor(
    private readonly url: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  push(item: WriteItem): void {
    this.queue.push(item);
    this.pushed++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Starts committing what is queued. One transaction at a time: what arrives while one is out goes into
   * the next, so a busy flow makes few, large transactions rather than one a tick.
   */
  flush(): void {
    this.scheduled = false;
    if (this.draining || this.queue.length === 0) return;
    this.draining = true;
    void this.drain();
  }

  /**
   * Resolves when everything pushed so far has been through a transaction; rejects when the last thing
   * pushed (the artifact being acknowledged) was in a batch the database refused.
   */
  async committed(): Promise<void> {
    const upTo = this.pushed;
    if (this.done < upTo) {
      await new Promise<void>((resolve) => {
        this.waiters.push({ upTo, resolve });
        this.flush();
      });
    }
    const refused = this.failures.find((f) => f.from < upTo && upTo <= f.to);
    if (refused) throw refused.err;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const err = await this.commit(batch);
      if (err) this.failures = [...this.failures.slice(-7), { from: this.done, to: this.done + batch.length, err }];
      this.done += batch.length;
      this.waiters = this.waiters.filter((w) => (w.upTo <= this.done ? (w.resolve(), false) : true));
    }
    this.draining = false;
  }

  private async commit(batch: WriteItem[]): Promise<Error | undefined> {
    try {
      const pool = await teamPool(this.url);
      const kinds = new Set(batch.map((i) => (i.e === "artifact" || i.e === "artifact_update" ? "artifacts" : "runs")));
      // One statement: the batch applied and the listeners told, atomically (a NOTIFY is sent at COMMIT).
      await pool.query("SELECT flowline_apply($1::json), pg_notify($2, $3)", [withoutNul(JSON.stringify(batch)), CHANGES_CHANNEL, [...kinds].join(",")]);
      return undefined;
    } catch (err) {
      this.onError(err as Error);
      return err as Error;
    }
  }
}

/**
 * PostgreSQL text cannot hold U+0000 (a log line of binary output may): it is stored as U+FFFD. Only a
 * real escape is replaced, not an escaped backslash followed by "u0000".
 */
export function withoutNul(json: string): string {
  return json.includes("\\u0000") ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1\\ufffd") : json;
}
