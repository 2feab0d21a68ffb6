import { ARTIFACT_HEAD_V1, FLOW_RUN_COLUMNS_V1 } from "../store/schema";
import type { PgClient } from "./drivers";

// Team mode's schema in PostgreSQL, versioned like the local store's (schema.ts): an ordered list of
// migrations, applied forward on first use under an advisory lock so that two machines opening a new
// database at once migrate it once. Never edit a released migration: add one.
//
// The local store's segments, chunks and payload offsets exist because sql.js loads and rewrites whole
// files; PostgreSQL has no such cost, so team mode keeps plain rows (one per task run, state, log line,
// artifact) and shares with the local store the events they are made from (shared/events.ts), applied by
// one server-side function, flowline_apply, in the same transaction that makes them visible. The
// columns both stores have are created from the same text (store/schema.ts). JSON is kept as TEXT, as the
// local store keeps it: exactly as created (jsonb would reorder an object's keys).

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE flow_runs (
${FLOW_RUN_COLUMNS_V1.replace(/,$/, "")}
  );
  CREATE INDEX flow_runs_created ON flow_runs (created);
  CREATE INDEX flow_runs_parent ON flow_runs (parent_flow_run_id);

  CREATE TABLE task_runs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    flow_run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    task_name TEXT NOT NULL,
    parameters TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    cache_key TEXT,
    state_type TEXT NOT NULL DEFAULT 'Pending',
    state_name TEXT NOT NULL DEFAULT 'Pending',
    state_message TEXT,
    run_count INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    result_key TEXT
  );
  CREATE INDEX task_runs_flow_run ON task_runs (flow_run_id, seq);

  CREATE TABLE states (
    seq BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    message TEXT,
    ts TEXT NOT NULL
  );
  CREATE INDEX states_run ON states (run_id, seq);

  CREATE TABLE logs (
    seq BIGSERIAL PRIMARY KEY,
    flow_run_id TEXT,
    task_run_id TEXT,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    ts TEXT NOT NULL
  );
  CREATE INDEX logs_flow_run ON logs (flow_run_id, seq);

  -- The local store's artifact columns; seq is PostgreSQL's own sequence where SQLite has its rowid.
  CREATE TABLE artifacts (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    key TEXT,
    ${ARTIFACT_HEAD_V1},
    data TEXT
  );
  CREATE INDEX artifacts_key ON artifacts (key, seq);
  CREATE INDEX artifacts_flow_run ON artifacts (flow_run_id);

  CREATE TABLE cache_entries (
    cache_key TEXT PRIMARY KEY,
    storage_key TEXT NOT NULL,
    task_run_id TEXT,
    created TEXT NOT NULL,
    expires_at TEXT
  );

  -- Persisted results, when FLOWLINE_RESULTS_URL names this database (the default in team mode).
  CREATE TABLE results (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated TEXT NOT NULL
  );

  -- Applies a batch of engine events in order, a statement per kind of change rather than a row at a
  -- time: inserts in event order (so sequence numbers follow it), then each run's state from its events
  -- in the batch: the first terminal state is final (later ones go only to the history), the start time
  -- is the first Running, the end time the terminal state's (as records.ts does for the local store).
  CREATE FUNCTION flowline_apply(events JSON) RETURNS VOID LANGUAGE plpgsql AS $$
  DECLARE
    terminal TEXT[] := ARRAY['Completed', 'Failed', 'Crashed', 'Cancelled'];
  BEGIN
    CREATE TEMP TABLE IF NOT EXISTS flowline_batch (ord BIGINT, e TEXT, ev JSON, jb JSONB) ON COMMIT DELETE ROWS;
    DELETE FROM flowline_batch;
    -- Fields are read from jsonb (json is parsed again at every ->>); the JSON kept as text (parameters,
    -- tags, result, data) is taken from the json value, exactly as written.
    INSERT INTO flowline_batch SELECT ord, ev->>'e', ev, ev::jsonb FROM json_array_elements(events) WITH ORDINALITY AS a(ev, ord);

    INSERT INTO flow_runs (id, name, flow_name, parameters, tags, parent_flow_run_id, parent_task_run_id, state_type, state_name,
                           created, expected_start_time, file, pid)
    SELECT jb->>'id', jb->>'name', jb->>'flowName', (ev->'parameters')::TEXT, COALESCE((ev->'tags')::TEXT, '[]'), jb->>'parentFlowRunId',
           jb->>'parentTaskRunId', 'Pending', 'Pending', jb->>'created', jb->>'expectedStartTime', jb->>'file', (jb->>'pid')::INTEGER
    FROM flowline_batch WHERE e = 'flow_run' ORDER BY ord
    ON CONFLICT (id) DO NOTHING;

    INSERT INTO task_runs (id, flow_run_id, name, task_name, parameters, tags, cache_key, created)
    SELECT jb->>'id', jb->>'flowRunId', jb->>'name', jb->>'taskName', (ev->'parameters')::TEXT, COALESCE((ev->'tags')::TEXT, '[]'), jb->>'cacheKey', jb->>'created'
    FROM flowline_batch WHERE e = 'task_run' ORDER BY ord
    ON CONFLICT (id) DO NOTHING;

    INSERT INTO states (run_id, kind, type, name, message, ts)
    SELECT jb->>'id', jb->>'kind', jb->>'type', jb->>'name', jb->>'message', jb->>'ts' FROM flowline_batch WHERE e = 'state' ORDER BY ord;

    -- Each run's new state: its first terminal state in the batch, else its last state.
    WITH st AS (
      SELECT ord, jb->>'id' AS id, jb->>'kind' AS kind, jb->>'type' AS type, jb, ev, (jb->>'type') = ANY(terminal) AS final
      FROM flowline_batch WHERE e = 'state'
    ), cut AS (
      SELECT id, min(ord) FILTER (WHERE final) AS final_ord FROM st GROUP BY id
    ), upto AS (
      SELECT st.* FROM st JOIN cut USING (id) WHERE cut.final_ord IS NULL OR st.ord <= cut.final_ord
    ), agg AS (
      SELECT id, max(kind) AS kind,
             (array_agg(jb ORDER BY ord DESC))[1] AS last,
             (array_agg(ev ORDER BY ord DESC))[1] AS last_ev,
             (array_agg(jb->>'ts' ORDER BY ord) FILTER (WHERE type = 'Running'))[1] AS first_running,
             (array_agg((jb->>'runCount')::INTEGER ORDER BY ord DESC) FILTER (WHERE jb ? 'runCount'))[1] AS run_count
      FROM upto GROUP BY id
    ), t AS (
      UPDATE task_runs r SET state_type = a.last->>'type', state_name = a.last->>'name', state_message = a.last->>'message',
        run_count = COALESCE(a.run_count, r.run_count),
        start_time = COALESCE(r.start_time, a.first_running),
        end_time = CASE WHEN a.last->>'type' = ANY(terminal) THEN a.last->>'ts' ELSE r.end_time END,
        result_key = COALESCE(a.last->>'resultKey', r.result_key)
      FROM agg a WHERE a.kind = 'task' AND r.id = a.id AND NOT (r.state_type = ANY(terminal))
    )
    UPDATE flow_runs r SET state_type = a.last->>'type', state_name = a.last->>'name', state_message = a.last->>'message',
      run_count = COALESCE(a.run_count, r.run_count),
      start_time = COALESCE(r.start_time, a.first_running),
      end_time = CASE WHEN a.last->>'type' = ANY(terminal) THEN a.last->>'ts' ELSE r.end_time END,
      result_key = COALESCE(a.last->>'resultKey', r.result_key), result = COALESCE((a.last_ev->'result')::TEXT, r.result)
    FROM agg a WHERE a.kind = 'flow' AND r.id = a.id AND NOT (r.state_type = ANY(terminal));

    INSERT INTO logs (flow_run_id, task_run_id, level, message, ts)
    SELECT jb->>'flowRunId', jb->>'taskRunId', jb->>'level', jb->>'message', jb->>'ts' FROM flowline_batch WHERE e = 'log' ORDER BY ord;

    INSERT INTO artifacts (id, key, type, description, data, flow_run_id, task_run_id, created, updated)
    SELECT jb->>'id', jb->>'key', jb->>'type', jb->>'description', (ev->'data')::TEXT, jb->>'flowRunId', jb->>'taskRunId', jb->>'created', jb->>'created'
    FROM flowline_batch WHERE e = 'artifact' ORDER BY ord
    ON CONFLICT (id) DO NOTHING;

    UPDATE artifacts a SET data = (u.ev->'data')::TEXT, description = COALESCE(u.jb->>'description', a.description), updated = u.jb->>'ts'
    FROM (SELECT DISTINCT ON (jb->>'id') jb, ev FROM flowline_batch WHERE e = 'artifact_update' ORDER BY jb->>'id', ord DESC) u
    WHERE a.id = u.jb->>'id' AND a.type = 'progress';

    INSERT INTO cache_entries (cache_key, storage_key, task_run_id, created, expires_at)
    SELECT DISTINCT ON (jb->>'cacheKey') jb->>'cacheKey', jb->>'storageKey', jb->>'taskRunId', jb->>'created', jb->>'expiresAt'
    FROM flowline_batch WHERE e = 'cache' ORDER BY jb->>'cacheKey', ord DESC
    ON CONFLICT (cache_key) DO UPDATE SET storage_key = EXCLUDED.storage_key, task_run_id = EXCLUDED.task_run_id,
      created = EXCLUDED.created, expires_at = EXCLUDED.expires_at;

    INSERT INTO results (key, body, updated)
    SELECT DISTINCT ON (jb->>'key') jb->>'key', jb->>'body', jb->>'ts' FROM flowline_batch WHERE e = 'result' ORDER BY jb->>'key', ord DESC
    ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, updated = EXCLUDED.updated;
    -- 'close' and kinds a newer Flowline writes: nothing to keep.
  END $$;
  `,
  `
  -- Distributed task runs: how each ended, written by the worker that ran it once its states are
  -- committed, read by the flow's process (told by NOTIFY flowline_task_outcome). The queue itself is
  -- pg-boss's, in its own schema.
  CREATE TABLE task_outcomes (
    task_run_id TEXT PRIMARY KEY,
    flow_run_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created TEXT NOT NULL
  );
  `,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** The channel that tells listeners (the editor's trees) that runs or artifacts changed. */
export const CHANGES_CHANNEL = "flowline_changes";
/** A distributed task run ended (payload: its id). */
export const OUTCOME_CHANNEL = "flowline_task_outcome";
/** Task runs were sent to a queue (payload: its name): idle workers fetch at once. */
export const SENT_CHANNEL = "flowline_task_sent";
/** A distributed flow run was cancelled (payload: its id): workers stop its task runs. */
export const CANCEL_CHANNEL = "flowline_cancel";

/** Any number from 0 to 2^63: the advisory lock that serialises migrations of one database. */
const MIGRATION_LOCK = 0x466c6f776c696e65n;

/** Creates or migrates the schema forward; refuses a database a newer Flowline migrated further. */
export async function migratePg(client: PgClient, url: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
    await client.query("CREATE TABLE IF NOT EXISTS flowline_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = (await client.query<{ value: string }>("SELECT value FROM flowline_meta WHERE key = 'schema_version'")).rows[0];
    const current = row ? Number(row.value) : 0;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `The database ${redactUrl(url)} was set up by a newer Flowline (schema version ${current}; this one knows up to ` +
          `${MIGRATIONS.length}). Update Flowline on this machine to use it; it was left untouched.`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) await client.query(MIGRATIONS[v]);
    await client.query(
      "INSERT INTO flowline_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      [String(MIGRATIONS.length)],
    );
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unreadable URL)";
  }
}
