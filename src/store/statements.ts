import type { Database, SqlValue, Statement } from "sql.js";
import { isTerminal, type StateType } from "../shared/events";

// The prepared statements of one write transaction. sql.js frees every statement on db.export(), so they
// are prepared per transaction (cheap: well under a millisecond) and reused for every event in it.

const SQL = {
  insertFlowRun: `INSERT OR IGNORE INTO flow_runs (id, name, flow_name, parameters, tags, parent_flow_run_id,
      parent_task_run_id, state_type, state_name, state_message, run_count, created, expected_start_time,
      start_time, end_time, result_key, result, file, pid, journal)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)`,
  insertTaskRun: `INSERT OR IGNORE INTO task_runs (id, flow_run_id, name, task_name, parameters, tags, cache_key,
      state_type, state_name, state_message, run_count, created, start_time, end_time, result_key, journal)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)`,
  // A terminal state is final: later reports still go to the history but do not change the run.
  flowState: `UPDATE flow_runs SET state_type = ?2, state_name = ?3, state_message = ?4,
      run_count = COALESCE(?5, run_count),
      start_time = CASE WHEN start_time IS NULL AND ?2 = 'Running' THEN ?6 ELSE start_time END,
      end_time = CASE WHEN ?7 THEN ?6 ELSE end_time END,
      result_key = COALESCE(?8, result_key),
      result = CASE WHEN ?9 THEN ?10 ELSE result END
    WHERE id = ?1 AND state_type NOT IN ('Completed', 'Failed', 'Crashed', 'Cancelled')`,
  taskState: `UPDATE task_runs SET state_type = ?2, state_name = ?3, state_message = ?4,
      run_count = COALESCE(?5, run_count),
      start_time = CASE WHEN start_time IS NULL AND ?2 = 'Running' THEN ?6 ELSE start_time END,
      end_time = CASE WHEN ?7 THEN ?6 ELSE end_time END,
      result_key = COALESCE(?8, result_key)
    WHERE id = ?1 AND state_type NOT IN ('Completed', 'Failed', 'Crashed', 'Cancelled')`,
  history: `INSERT INTO state_history (run_id, kind, type, name, message, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
  log: `INSERT INTO logs (flow_run_id, task_run_id, level, message, ts) VALUES (?1, ?2, ?3, ?4, ?5)`,
  taskFlowRun: `SELECT flow_run_id FROM task_runs WHERE id = ?1`,
  artifact: `INSERT OR IGNORE INTO artifacts (id, key, type, description, data, flow_run_id, task_run_id, created,
      updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)`,
  // Only progress artifacts change in place (updateProgressArtifact); other kinds get new versions instead.
  artifactUpdate: `UPDATE artifacts SET data = ?2, description = COALESCE(?3, description), updated = ?4
    WHERE id = ?1 AND type = 'progress'`,
  cache: `INSERT INTO cache (cache_key, storage_key, task_run_id, created, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (cache_key) DO UPDATE SET storage_key = excluded.storage_key, task_run_id = excluded.task_run_id,
      created = excluded.created, expires_at = excluded.expires_at`,
  journal: `INSERT INTO journals (name, folded_bytes, closed, done) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (name) DO UPDATE SET folded_bytes = excluded.folded_bytes, closed = excluded.closed,
      done = excluded.done`,
} as const;

export type StatementName = keyof typeof SQL;

export class Statements {
  private readonly prepared = new Map<StatementName, Statement>();

  constructor(private readonly db: Database) {}

  run(name: StatementName, params: SqlValue[]): void {
    this.statement(name).run(params);
  }

  private statement(name: StatementName): Statement {
    let stmt = this.prepared.get(name);
    if (!stmt) {
      stmt = this.db.prepare(SQL[name]);
      this.prepared.set(name, stmt);
    }
    return stmt;
  }

  /** The first column of the first row, or null. */
  value(name: StatementName, params: SqlValue[]): SqlValue {
    const stmt = this.statement(name);
    try {
      stmt.bind(params);
      return stmt.step() ? stmt.get()[0] : null;
    } finally {
      stmt.reset();
    }
  }

  free(): void {
    for (const stmt of this.prepared.values()) stmt.free();
    this.prepared.clear();
  }
}

export interface StateChange {
  kind: "flow" | "task";
  id: string;
  type: StateType;
  name: string;
  message?: string;
  ts: string;
  runCount?: number;
  resultKey?: string;
  /** JSON text of the result preview, when one was sent (flow runs only). */
  resultJson?: string;
}

/** Applies a state to a stored run (unless it is already terminal) and appends it to the history. */
export function applyState(st: Statements, s: StateChange): void {
  const terminal = isTerminal(s.type) ? 1 : 0;
  const common: SqlValue[] = [s.id, s.type, s.name, s.message ?? null, s.runCount ?? null, s.ts, terminal];
  if (s.kind === "flow") {
    const hasResult = s.resultJson !== undefined ? 1 : 0;
    st.run("flowState", [...common, s.resultKey ?? null, hasResult, s.resultJson ?? null]);
  } else {
    st.run("taskState", [...common, s.resultKey ?? null]);
  }
  st.run("history", [s.id, s.kind, s.type, s.name, s.message ?? null, s.ts]);
}
