import { replayTasks } from "./records";
import { refreshKey } from "./artifact-writes";
import { compactPayload } from "./compact";
import type { Segment } from "./segment";
import { num } from "./sql";
import type { PruneResult } from "./types";
import type { WriteTx } from "./write-tx";

// Retention: deleting finished runs and artifacts older than a cut-off, one segment at a time so memory
// stays bounded by a segment. A segment with nothing left is deleted as files; one with little left has
// its payload file compacted, so the space comes back.

const DAY_MS = 86_400_000;
/** Automatic retention runs at most this often, whichever process syncs. */
export const RETENTION_INTERVAL_MS = 3_600_000;
const CHECKED = "retention_checked";

export type PruneCounts = Omit<PruneResult, "cutoff" | "dryRun" | "resultFiles">;

export function checkDays(days: number, what: string): number {
  if (typeof days !== "number" || !Number.isFinite(days) || days < 0) {
    throw new RangeError(`${what} must be a number of days (0 or more, such as 30), not ${String(days)}.`);
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

export function prunedAnything(r: PruneCounts): boolean {
  return r.flowRuns + r.taskRuns + r.states + r.logs + r.artifacts > 0;
}

const ENDED = "('Completed', 'Failed', 'Crashed', 'Cancelled')";

/** Flow runs to delete in a segment: ended roots older than the cut-off, with their subflow runs. */
function prunableRuns(seg: Segment, cutoff: string): string[] {
  const res = seg.db.exec(
    `WITH RECURSIVE tree(id) AS (
        SELECT f.id FROM flow_runs f
        WHERE f.state_type IN ${ENDED} AND coalesce(f.end_time, f.created) < ?1
          AND (f.parent_flow_run_id IS NULL OR NOT EXISTS (SELECT 1 FROM flow_runs p WHERE p.id = f.parent_flow_run_id))
        UNION SELECT f.id FROM flow_runs f JOIN tree t ON f.parent_flow_run_id = t.id)
      SELECT id FROM tree`,
    [cutoff],
  );
  return (res[0]?.values ?? []).map((r) => String(r[0]));
}

export interface PruneVisit {
  counts: PruneCounts;
  /** Storage keys of results of the runs deleted (for `prune --results`). */
  resultKeys: Set<string>;
}

/**
 * Deletes (or, with dryRun, counts) what is older than `cutoff` in every segment, oldest first, writing
 * each changed segment before the next is read. `wantResults` collects the deleted runs' result keys.
 */
export function pruneSegments(tx: WriteTx, cutoff: string, dryRun: boolean, wantResults: boolean): PruneVisit {
  const counts: PruneCounts = { flowRuns: 0, taskRuns: 0, states: 0, logs: 0, artifacts: 0 };
  const resultKeys = new Set<string>();
  tx.refreshInfos(); // what this write folded counts too
  for (const info of tx.index.segments()) {
    // Nothing in a segment changed before the cut-off: nothing in it can go.
    if (info.minChanged !== undefined && info.minChanged >= cutoff) continue;
    const seg = tx.segment(info.id);
    const runs = prunableRuns(seg, cutoff);
    const keys = new Set<string>();
    for (const id of runs) {
      const row = seg.flowRow(id);
      if (!row) continue;
      counts.flowRuns++;
      counts.taskRuns += row.taskRuns;
      counts.logs += row.logs;
      counts.states += num(seg.p.value("SELECT count(*) FROM flow_states WHERE run_id = ?", [id]));
      if (wantResults && row.resultKey) resultKeys.add(row.resultKey);
      for (const c of seg.taskChunks(id, wantResults)) {
        counts.states += c.lines;
        // Result keys are read only when asked for (prune --results): that reads every chunk of the run.
        if (!wantResults) continue;
        for (const r of replayTasks(c.doc ?? (c.ref ? seg.read(c.ref).toString("utf8") : ""))) if (r.resultKey) resultKeys.add(r.resultKey);
      }
      if (!dryRun) {
        seg.deleteFlowRow(id);
        tx.index.deleteLocation(id);
      }
    }
    // An artifact's age is its last change: a progress artifact still being updated stays.
    for (const r of seg.p.all("SELECT DISTINCT key FROM artifacts WHERE updated < ? AND key IS NOT NULL", [cutoff], (x) => String(x[0]))) keys.add(r);
    const doomed = num(seg.p.value("SELECT count(*) FROM artifacts WHERE updated < ?", [cutoff]));
    counts.artifacts += doomed;
    if (dryRun || (runs.length === 0 && doomed === 0)) {
      tx.flushSegment(info.id);
      continue;
    }
    seg.deleteArtifacts("updated < ?", [cutoff]);
    for (const key of keys) refreshKey(tx, key, [info.id]);
    const empty = num(seg.p.value("SELECT count(*) FROM flow_runs")) === 0 && num(seg.p.value("SELECT count(*) FROM artifacts")) === 0;
    if (empty && tx.index.currentSegment !== info.id) tx.dropSegment(info.id);
    else {
      compactPayload(tx, seg);
      tx.flushSegment(info.id);
    }
  }
  return { counts, resultKeys };
}

/** When automatic retention last ran, and whether it is due again. */
export function retentionDue(tx: WriteTx, now: Date): boolean {
  const last = tx.index.meta(CHECKED);
  const lastMs = last !== undefined ? Date.parse(last) : NaN;
  // A time in the future (a clock that was wrong) does not stop retention for good.
  return !(Number.isFinite(lastMs) && now.getTime() - lastMs < RETENTION_INTERVAL_MS && lastMs <= now.getTime());
}

export function markRetentionRan(tx: WriteTx, now: Date): void {
  tx.index.setMeta(CHECKED, now.toISOString());
}

