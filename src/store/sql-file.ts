import type { Database } from "sql.js";
import { tuneConnection } from "./schema";
import { Prepared } from "./sql";

/**
 * A sql.js database the store writes whole (the index, a segment): its prepared statements, one write
 * transaction per write, and its bytes for the file.
 */
export abstract class SqlFile {
  readonly p: Prepared;
  private txOpen = false;

  protected constructor(readonly db: Database) {
    this.p = new Prepared(db);
  }

  /**
   * Opens a write transaction (once): a write's many statements then cost one commit, at export, instead of
   * one each (sql.js keeps the file in memory, but every autocommit still rewrites its changed pages).
   */
  begin(): void {
    if (this.txOpen) return;
    this.db.exec("BEGIN");
    this.txOpen = true;
  }

  /** The database's bytes, its transaction committed (prepared statements are freed: sql.js would anyway). */
  export(): Uint8Array {
    if (this.txOpen) {
      this.db.exec("COMMIT");
      this.txOpen = false;
    }
    this.p.free();
    this.beforeExport();
    const bytes = this.db.export();
    tuneConnection(this.db);
    return bytes;
  }

  /** Work on the committed database just before its bytes are taken. */
  protected beforeExport(): void {}

  close(): void {
    this.p.free();
    this.db.close();
  }
}
