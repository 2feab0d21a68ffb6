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
  private failure: Error | undefined;

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

  /** Resolves when everything pushed so far is committed; rejects when a commit failed. */
  async committed(): Promise<void> {
    const upTo = this.pushed;
    if (this.done < upTo) {
      await new Promise<void>((resolve) => {
        this.waiters.push({ upTo, resolve });
        this.flush();
      });
    }
    if (this.failure) throw this.failure;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      await this.commit(batch);
      this.done += batch.length;
      this.waiters = this.waiters.filter((w) => (w.upTo <= this.done ? (w.resolve(), false) : true));
    }
    this.draining = false;
  }

  private async commit(batch: WriteItem[]): Promise<void> {
    try {
      const pool = await teamPool(this.url);
      const kinds = new Set(batch.map((i) => (i.e === "artifact" || i.e === "artifact_update" ? "artifacts" : "runs")));
      // One statement: the batch applied and the listeners told, atomically (a NOTIFY is sent at COMMIT).
      await pool.query("SELECT flowline_apply($1::json), pg_notify($2, $3)", [JSON.stringify(batch), CHANGES_CHANNEL, [...kinds].join(",")]);
    } catch (err) {
      this.failure = err as Error;
      this.onError(err as Error);
    }
  }
}
