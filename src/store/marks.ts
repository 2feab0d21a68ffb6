import type { Database } from "sql.js";
import type { StateType } from "../shared/events";
import { applyState, type Statements } from "./statements";

// Marking runs that cannot finish by themselves: the runs of a journal whose writer died (Crashed), and a
// flow run tree the runner killed or cancelled. Only runs still Pending or Running are changed.

const OPEN = "('Pending', 'Running')";

function ids(db: Database, sql: string, params: (string | null)[]): string[] {
  return (db.exec(sql, params)[0]?.values ?? []).map((r) => String(r[0]));
}

/** Crash-marks the unfinished runs that `journal` created. Returns how many runs changed. */
export function crashJournalRuns(db: Database, st: Statements, journal: string, message: string, ts: string): number {
  const flows = ids(db, `SELECT id FROM flow_runs WHERE journal = ? AND state_type IN ${OPEN}`, [journal]);
  // Task runs are written by their flow run's process, so they are found through the journal's flow runs.
  const tasks = ids(
    db,
    `SELECT id FROM task_runs WHERE flow_run_id IN (SELECT id FROM flow_runs WHERE journal = ?)
      AND state_type IN ${OPEN}`,
    [journal],
  );
  for (const id of tasks) applyState(st, { kind: "task", id, type: "Crashed", name: "Crashed", message, ts });
  for (const id of flows) applyState(st, { kind: "flow", id, type: "Crashed", name: "Crashed", message, ts });
  return flows.length + tasks.length;
}

/**
 * Marks a flow run, its subflow runs (at any depth) and all their task runs that are still unfinished.
 * Returns how many runs changed.
 */
export function markRunTree(
  db: Database,
  st: Statements,
  flowRunId: string,
  type: Extract<StateType, "Crashed" | "Cancelled">,
  message: string,
  ts: string,
): number {
  const tree = `WITH RECURSIVE tree(id) AS (
      SELECT id FROM flow_runs WHERE id = ?1
      UNION SELECT f.id FROM flow_runs f JOIN tree t ON f.parent_flow_run_id = t.id)`;
  const flows = ids(db, `${tree} SELECT f.id FROM flow_runs f JOIN tree USING (id) WHERE f.state_type IN ${OPEN}`, [
    flowRunId,
  ]);
  const tasks = ids(
    db,
    `${tree} SELECT r.id FROM task_runs r WHERE r.flow_run_id IN (SELECT id FROM tree) AND r.state_type IN ${OPEN}`,
    [flowRunId],
  );
  for (const id of tasks) applyState(st, { kind: "task", id, type, name: type, message, ts });
  for (const id of flows) applyState(st, { kind: "flow", id, type, name: type, message, ts });
  return flows.length + tasks.length;
}
