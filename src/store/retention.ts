import type { Database, SqlValue } from "sql.js";
import { refreshLatest } from "./artifacts";
import type { PruneResult } from "./types";

// Retention: deleting runs and artifacts older than N days, by hand (`flowline prune`, Store.prune) or
// automatically (FLOWLINE_RETENTION_DAYS, applied by Store.sync at most once an hour across all processes,
// which is remembered in the `meta` table). A flow run goes with its task runs, states, logs and subflow
// runs, and only once its whole tree ended; result files in storage/ are never deleted here (a cache
// entry may still point at one, and they are the user's files).

const DAY_MS = 86_400_000;
/** Automatic retention runs at most this often, whichever process syncs. */
export const RETENTION_INTERVAL_MS = 3_600_000;
const CHECKED = "retention_checked";

export type PruneCounts = Omit<PruneResult, "cutoff" | "dryRun">;

/** Checks a number of days for a prune; throws with what to give instead. */
export function checkDays(days: number, what: string): number {
  if (typeof days !== "number" || !Number.isFinite(days) || days <= 0) {
    throw new RangeError(`${what} must be a number of days greater than 0 (such as 30), not ${String(days)}.`);
  }
  return days;
}

export function cutoffFor(days: number, now: Date): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

/**
 * FLOWLINE_RETENTION_DAYS: unset, empty or 0 is off; otherwise a number of days. Anything else is reported
 * (`problem`) and retention stays off rather than deleting on a guess.
 */
export function parseRetentionDays(text: string | undefined): { days?: number; problem?: string } {
  if (text === undefined || text.trim() === "" || text.trim() === "0") return {};
  const days = Number(text);
  if (!Number.isFinite(days) || days <= 0) {
    return { problem: `FLOWLINE_RETENTION_DAYS is ${JSON.stringify(text)}; set it to a number of days (such as 30), or 0 to keep everything. Nothing was deleted.` };
  }
  return { days };
}

/** Days of automatic retention: the store's option if given (0 = off), else FLOWLINE_RETENTION_DAYS. */
export function retentionSetting(option: number | undefined, env: NodeJS.ProcessEnv = process.env): { days?: number; problem?: string } {
  if (option !== undefined) return option > 0 && Number.isFinite(option) ? { days: option } : {};
  return parseRetentionDays(env.FLOWLINE_RETENTION_DAYS);
}

function changes(db: Database, sql: string, params: SqlValue[] = []): number {
  db.run(sql, params);
  return db.getRowsModified();
}

/** Deletes what is older than `cutoff` (ISO time), in the caller's transaction; returns the counts. */
export function pruneRows(db: Database, cutoff: string): PruneCounts {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS prune_flows (id TEXT PRIMARY KEY);
    CREATE TEMP TABLE IF NOT EXISTS prune_tasks (id TEXT PRIMARY KEY);
    DELETE FROM prune_flows; DELETE FROM prune_tasks;`);
  try {
    // Roots that ended before the cut-off (a subflow whose parent is gone counts as a root), then their trees.
    db.run(
      `INSERT INTO prune_flows WITH RECURSIVE tree(id) AS (
          SELECT f.id FROM flow_runs f
          WHERE f.state_type IN ('Completed', 'Failed', 'Crashed', 'Cancelled') AND coalesce(f.end_time, f.created) < ?1
            AND (f.parent_flow_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM flow_runs p WHERE p.id = f.parent_flow_run_id))
          UNION SELECT f.id FROM flow_runs f JOIN tree t ON f.parent_flow_run_id = t.id)
        SELECT id FROM tree`,
      [cutoff],
    );
    db.exec("INSERT INTO prune_tasks SELECT id FROM task_runs WHERE flow_run_id IN (SELECT id FROM prune_flows)");
    const states =
      changes(db, "DELETE FROM state_history WHERE run_id IN (SELECT id FROM prune_flows)") +
      changes(db, "DELETE FROM state_history WHERE run_id IN (SELECT id FROM prune_tasks)");
    const logs =
      changes(db, "DELETE FROM logs WHERE flow_run_id IN (SELECT id FROM prune_flows)") +
      changes(db, "DELETE FROM logs WHERE flow_run_id IS NULL AND ts < ?", [cutoff]);
    const taskRuns = changes(db, "DELETE FROM task_runs WHERE id IN (SELECT id FROM prune_tasks)");
    const flowRuns = changes(db, "DELETE FROM flow_runs WHERE id IN (SELECT id FROM prune_flows)");
    // An artifact's age is its last change: a progress artifact still being updated stays.
    const keys = (db.exec("SELECT DISTINCT key FROM artifacts WHERE updated < ? AND key IS NOT NULL", [cutoff])[0]?.values ?? []).map((r) =>
      String(r[0]),
    );
    const artifacts = changes(db, "DELETE FROM artifacts WHERE updated < ?", [cutoff]);
    refreshLatest(db, keys);
    return { flowRuns, taskRuns, states, logs, artifacts };
  } finally {
    db.exec("DROP TABLE IF EXISTS temp.prune_flows; DROP TABLE IF EXISTS temp.prune_tasks;");
  }
}

/** What pruneRows would delete, without deleting (a savepoint rolled back). Must not be inside a transaction. */
export function countPrunable(db: Database, cutoff: string): PruneCounts {
  db.exec("SAVEPOINT prune_dry_run");
  try {
    return pruneRows(db, cutoff);
  } finally {
    db.exec("ROLLBACK TO prune_dry_run; RELEASE prune_dry_run");
  }
}

/**
 * Automatic retention inside a write transaction: prunes and records when, unless another process (or
 * this one) did within the last hour. Returns undefined when it was not due.
 */
export function autoPrune(db: Database, days: number, now: Date): PruneResult | undefined {
  const last = db.exec("SELECT value FROM meta WHERE key = ?", [CHECKED])[0]?.values[0]?.[0];
  const lastMs = typeof last === "string" ? Date.parse(last) : NaN;
  // A time in the future (a clock that was wrong) does not stop retention for good.
  if (Number.isFinite(lastMs) && now.getTime() - lastMs < RETENTION_INTERVAL_MS && lastMs <= now.getTime()) return undefined;
  const cutoff = cutoffFor(days, now);
  const counts = pruneRows(db, cutoff);
  db.run("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [CHECKED, now.toISOString()]);
  return { cutoff, dryRun: false, ...counts };
}

export function prunedAnything(r: PruneCounts): boolean {
  return r.flowRuns + r.taskRuns + r.states + r.logs + r.artifacts > 0;
}
