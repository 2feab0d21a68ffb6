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

  -- Applies a batch of engine events (shared/events.ts) in order. A terminal state is final; the start
  -- time is the first Running, the end time the terminal state's (as records.ts does for the local store).
  CREATE FUNCTION flowline_apply(events JSON) RETURNS VOID LANGUAGE plpgsql AS $$
  DECLARE
    ev JSON;
    jb JSONB;
    terminal TEXT[] := ARRAY['Completed', 'Failed', 'Crashed', 'Cancelled'];
  BEGIN
    FOR ev IN SELECT * FROM json_array_elements(events) LOOP
      -- Fields are read from a jsonb copy (json is parsed again at every ->>); the JSON kept as text
      -- (parameters, tags, result, data) is taken from the json value, exactly as written.
      jb := ev::jsonb;
      CASE jb->>'e'
      WHEN 'flow_run' THEN
        INSERT INTO flow_runs (id, name, flow_name, parameters, tags, parent_flow_run_id, parent_task_run_id, state_type, state_name,
                               created, expected_start_time, file, pid)
        VALUES (jb->>'id', jb->>'name', jb->>'flowName', (ev->'parameters')::TEXT, COALESCE((ev->'tags')::TEXT, '[]'), jb->>'parentFlowRunId',
                jb->>'parentTaskRunId', 'Pending', 'Pending', jb->>'created', jb->>'expectedStartTime', jb->>'file', (jb->>'pid')::INTEGER)
        ON CONFLICT (id) DO NOTHING;
      WHEN 'task_run' THEN
        INSERT INTO task_runs (id, flow_run_id, name, task_name, parameters, tags, cache_key, created)
        VALUES (jb->>'id', jb->>'flowRunId', jb->>'name', jb->>'taskName', (ev->'parameters')::TEXT, COALESCE((ev->'tags')::TEXT, '[]'), jb->>'cacheKey', jb->>'created')
        ON CONFLICT (id) DO NOTHING;
      WHEN 'state' THEN
        INSERT INTO states (run_id, kind, type, name, message, ts) VALUES (jb->>'id', jb->>'kind', jb->>'type', jb->>'name', jb->>'message', jb->>'ts');
        IF jb->>'kind' = 'flow' THEN
          UPDATE flow_runs SET state_type = jb->>'type', state_name = jb->>'name', state_message = jb->>'message',
            run_count = COALESCE((jb->>'runCount')::INTEGER, run_count),
            start_time = CASE WHEN start_time IS NULL AND jb->>'type' = 'Running' THEN jb->>'ts' ELSE start_time END,
            end_time = CASE WHEN jb->>'type' = ANY(terminal) THEN jb->>'ts' ELSE end_time END,
            result_key = COALESCE(jb->>'resultKey', result_key), result = COALESCE((ev->'result')::TEXT, result)
          WHERE id = jb->>'id' AND NOT (state_type = ANY(terminal));
        ELSE
          UPDATE task_runs SET state_type = jb->>'type', state_name = jb->>'name', state_message = jb->>'message',
            run_count = COALESCE((jb->>'runCount')::INTEGER, run_count),
            start_time = CASE WHEN start_time IS NULL AND jb->>'type' = 'Running' THEN jb->>'ts' ELSE start_time END,
            end_time = CASE WHEN jb->>'type' = ANY(terminal) THEN jb->>'ts' ELSE end_time END,
            result_key = COALESCE(jb->>'resultKey', result_key)
          WHERE id = jb->>'id' AND NOT (state_type = ANY(terminal));
        END IF;
      WHEN 'log' THEN
        INSERT INTO logs (flow_run_id, task_run_id, level, message, ts) VALUES (jb->>'flowRunId', jb->>'taskRunId', jb->>'level', jb->>'message', jb->>'ts');
      WHEN 'artifact' THEN
        INSERT INTO artifacts (id, key, type, description, data, flow_run_id, task_run_id, created, updated)
        VALUES (jb->>'id', jb->>'key', jb->>'type', jb->>'description', (ev->'data')::TEXT, jb->>'flowRunId', jb->>'taskRunId', jb->>'created', jb->>'created')
        ON CONFLICT (id) DO NOTHING;
      WHEN 'artifact_update' THEN
        UPDATE artifacts SET data = (ev->'data')::TEXT, description = COALESCE(jb->>'description', description), updated = jb->>'ts'
        WHERE id = jb->>'id' AND type = 'progress';
      WHEN 'cache' THEN
        INSERT INTO cache_entries (cache_key, storage_key, task_run_id, created, expires_at)
        VALUES (jb->>'cacheKey', jb->>'storageKey', jb->>'taskRunId', jb->>'created', jb->>'expiresAt')
        ON CONFLICT (cache_key) DO UPDATE SET storage_key = EXCLUDED.storage_key, task_run_id = EXCLUDED.task_run_id,
          created = EXCLUDED.created, expires_at = EXCLUDED.expires_at;
      WHEN 'result' THEN
        INSERT INTO results (key, body, updated) VALUES (jb->>'key', jb->>'body', jb->>'ts')
        ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, updated = EXCLUDED.updated;
      ELSE
        NULL; -- 'close' and kinds a newer Flowline writes: nothing to keep
      END CASE;
    END LOOP;
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
