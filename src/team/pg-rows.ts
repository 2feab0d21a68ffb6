import type { ArtifactType, LogLevel, StateType } from "../shared/events";
import type * as T from "../store/types";

// From PostgreSQL rows to the shapes every store returns (store/types.ts): absent values undefined, never
// null, so they disappear from JSON output.

type Row = Record<string, unknown>;

const opt = <V>(v: unknown): V | undefined => (v === null || v === undefined ? undefined : (v as V));
/** A JSON column (kept as text, exactly as created). */
const json = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : undefined);

/** A flow run with its task runs counted by state type. */
export const FLOW_SELECT =
  "SELECT f.*, COALESCE((SELECT jsonb_object_agg(state_type, n) FROM (SELECT state_type, count(*)::int AS n FROM task_runs t " +
  "WHERE t.flow_run_id = f.id GROUP BY state_type) c), '{}'::jsonb) AS task_states FROM flow_runs f";

export function flowRunOf(r: Row): T.FlowRun {
  const byState = r.task_states as Partial<Record<StateType, number>>;
  return {
    id: r.id as string,
    name: r.name as string,
    flowName: r.flow_name as string,
    parameters: json(r.parameters) ?? {},
    tags: (json(r.tags) as string[] | undefined) ?? [],
    parentFlowRunId: opt(r.parent_flow_run_id),
    parentTaskRunId: opt(r.parent_task_run_id),
    state: { type: r.state_type as StateType, name: r.state_name as string, message: opt(r.state_message) },
    runCount: r.run_count as number,
    created: r.created as string,
    expectedStartTime: opt(r.expected_start_time),
    startTime: opt(r.start_time),
    endTime: opt(r.end_time),
    resultKey: opt(r.result_key),
    result: json(r.result),
    file: opt(r.file),
    pid: opt(r.pid),
    taskRunCounts: { total: Object.values(byState).reduce((a, b) => a + (b ?? 0), 0), byState },
  };
}

export function taskRunOf(r: Row): T.TaskRun {
  return {
    id: r.id as string,
    flowRunId: r.flow_run_id as string,
    name: r.name as string,
    taskName: r.task_name as string,
    parameters: json(r.parameters) ?? {},
    tags: (json(r.tags) as string[] | undefined) ?? [],
    cacheKey: opt(r.cache_key),
    state: { type: r.state_type as StateType, name: r.state_name as string, message: opt(r.state_message) },
    runCount: r.run_count as number,
    created: r.created as string,
    startTime: opt(r.start_time),
    endTime: opt(r.end_time),
    resultKey: opt(r.result_key),
  };
}

export function stateOf(r: Row): T.StateHistoryEntry {
  return { seq: r.seq as number, runId: r.run_id as string, kind: r.kind as "flow" | "task", type: r.type as StateType, name: r.name as string, message: opt(r.message), timestamp: r.ts as string };
}

export function logOf(r: Row): T.LogEntry {
  return { seq: r.seq as number, flowRunId: opt(r.flow_run_id), taskRunId: opt(r.task_run_id), level: r.level as LogLevel, message: r.message as string, timestamp: r.ts as string };
}

export function artifactSelect(withData: boolean): string {
  return `SELECT a.seq, a.id, a.key, a.type, a.description, ${withData ? "a.data" : "NULL AS data"}, a.flow_run_id, a.task_run_id, a.created, a.updated`;
}

export function artifactOf(r: Row): T.Artifact {
  return {
    id: r.id as string,
    key: opt(r.key),
    type: r.type as ArtifactType,
    description: opt(r.description),
    data: json(r.data),
    flowRunId: opt(r.flow_run_id),
    taskRunId: opt(r.task_run_id),
    created: r.created as string,
    updated: r.updated as string,
    seq: r.seq as number,
  };
}
