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
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly url: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  push(item: WriteItem): void {
    this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Starts committing what is queued; the returned promise settles when it is committed. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.queue.length === 0) return this.chain;
    const batch = this.queue;
    this.queue = [];
    this.chain = this.chain.then(() => this.commit(batch));
    return this.chain;
  }

  /** Resolves when everything pushed so far is committed; rejects when a commit failed. */
  async committed(): Promise<void> {
    await this.flush();
    if (this.failure) throw this.failure;
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
