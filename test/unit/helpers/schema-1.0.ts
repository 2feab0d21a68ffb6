import type { Database, SqlJsStatic } from "sql.js";

// Flowline 1.0's database schema (versions 1 to 3, everything in one file), kept only to make 1.0
// databases in tests of the conversion to the segmented layout. It is 1.0's own code, unchanged.

type Migration = (db: Database) => void;

/** In artifact_latest's upsert: the inserted version is newer than the key's latest (seq breaks ties). */
const NEWER = "(excluded.created > artifact_latest.created OR (excluded.created = artifact_latest.created AND excluded.seq > artifact_latest.seq))";

const MIGRATIONS: readonly Migration[] = [
  // v1
  (db) => {
    // Bigger pages: a fold inserts many small rows across several indexes; 16 KiB pages made it ~1.5x faster.
    // Only takes effect on a database without tables (a new one); harmless otherwise.
    db.exec("PRAGMA page_size = 16384");
    db.exec(`
      CREATE TABLE flow_runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        flow_name TEXT NOT NULL,
        parameters TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        parent_flow_run_id TEXT,
        parent_task_run_id TEXT,
        state_type TEXT NOT NULL DEFAULT 'Pending',
        state_name TEXT NOT NULL DEFAULT 'Pending',
        state_message TEXT,
        run_count INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        expected_start_time TEXT,
        start_time TEXT,
        end_time TEXT,
        result_key TEXT,
        result TEXT,
        file TEXT,
        pid INTEGER,
        journal TEXT
      );
      CREATE INDEX flow_runs_created ON flow_runs (created);
      CREATE INDEX flow_runs_flow_name ON flow_runs (flow_name, created);
      CREATE INDEX flow_runs_parent ON flow_runs (parent_flow_run_id);
      CREATE INDEX flow_runs_journal ON flow_runs (journal);

      CREATE TABLE task_runs (
        id TEXT PRIMARY KEY,
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
        result_key TEXT,
        journal TEXT
      );
      -- No journal index: a task run shares its journal with its flow run (same process).
      CREATE INDEX task_runs_flow_run ON task_runs (flow_run_id);

      CREATE TABLE state_history (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        message TEXT,
        ts TEXT NOT NULL
      );
      CREATE INDEX state_history_run ON state_history (run_id, seq);

      CREATE TABLE logs (
        seq INTEGER PRIMARY KEY,
        flow_run_id TEXT,
        task_run_id TEXT,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        ts TEXT NOT NULL
      );
      -- Logs are always read per flow run (a task's lines are filtered from its flow run's).
      CREATE INDEX logs_flow_run ON logs (flow_run_id, seq);

      -- seq orders versions created in the same ms (v2 makes it AUTOINCREMENT: never reused after a delete).
      CREATE TABLE artifacts (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        key TEXT,
        type TEXT NOT NULL,
        description TEXT,
        data TEXT,
        flow_run_id TEXT,
        task_run_id TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
      );
      CREATE INDEX artifacts_key ON artifacts (key, created, seq);
      CREATE INDEX artifacts_created ON artifacts (created, seq);
      CREATE INDEX artifacts_flow_run ON artifacts (flow_run_id);

      CREATE TABLE cache (
        cache_key TEXT PRIMARY KEY,
        storage_key TEXT NOT NULL,
        task_run_id TEXT,
        created TEXT NOT NULL,
        expires_at TEXT
      );

      -- How far each journal file has been folded. Same database as the rows, so folding is exactly-once.
      -- done = 1: fully folded and finished; the file is deleted after the database that says so is written.
      CREATE TABLE journals (
        name TEXT PRIMARY KEY,
        folded_bytes INTEGER NOT NULL DEFAULT 0,
        closed INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0
      );
    `);
  },
  // v2: artifact seq never reused (AUTOINCREMENT), and artifact_latest, the latest version of each key, kept
  // up to date by artifacts.ts (refreshLatest) after every insert or delete, so listing the latest of every
  // key is one index scan instead of a seek per key.
  (db) => {
    db.exec(`
      CREATE TABLE artifacts_v2 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        key TEXT,
        type TEXT NOT NULL,
        description TEXT,
        data TEXT,
        flow_run_id TEXT,
        task_run_id TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
      );
      INSERT INTO artifacts_v2 SELECT seq, id, key, type, description, data, flow_run_id, task_run_id, created, updated
        FROM artifacts ORDER BY seq;
      DROP TABLE artifacts;
      ALTER TABLE artifacts_v2 RENAME TO artifacts;
      CREATE INDEX artifacts_key ON artifacts (key, created, seq);
      CREATE INDEX artifacts_created ON artifacts (created, seq);
      CREATE INDEX artifacts_flow_run ON artifacts (flow_run_id);

      CREATE TABLE artifact_latest (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        created TEXT NOT NULL
      );
      CREATE INDEX artifact_latest_created ON artifact_latest (created, seq);
      INSERT INTO artifact_latest (key, seq, created)
        SELECT key, seq, created FROM artifacts a
        WHERE key IS NOT NULL
          AND seq = (SELECT seq FROM artifacts b WHERE b.key = a.key ORDER BY created DESC, seq DESC LIMIT 1);
    `);
  },
  // v3: meta (small store-wide facts: when retention last ran); artifacts by task run (the runs tree lists a
  // task run's artifacts); and artifact_latest kept by a trigger on insert, with each key's number of
  // versions. Recomputing each touched key's latest after a fold cost ~150 µs a key at 100,000 artifacts;
  // the trigger is one primary-key upsert. Deleting still calls refreshLatest (artifacts.ts).
  (db) => {
    db.exec(`
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE INDEX artifacts_task_run ON artifacts (task_run_id);
      ALTER TABLE artifact_latest ADD COLUMN versions INTEGER NOT NULL DEFAULT 0;
      UPDATE artifact_latest SET versions = (SELECT count(*) FROM artifacts a WHERE a.key = artifact_latest.key);
      CREATE TRIGGER artifacts_latest_on_insert AFTER INSERT ON artifacts WHEN NEW.key IS NOT NULL BEGIN
        INSERT INTO artifact_latest (key, seq, created, versions) VALUES (NEW.key, NEW.seq, NEW.created, 1)
          ON CONFLICT (key) DO UPDATE SET
            versions = versions + 1,
            seq = CASE WHEN ${NEWER} THEN excluded.seq ELSE seq END,
            created = CASE WHEN ${NEWER} THEN excluded.created ELSE created END;
      END;
    `);
  },
];


/** A new, empty 1.0 database at schema `version` (1 to 3). */
export function layoutOneDatabase(SQL: SqlJsStatic, version: 1 | 2 | 3): Database {
  const db = new SQL.Database();
  db.exec("BEGIN");
  for (let v = 0; v < version; v++) MIGRATIONS[v](db);
  db.exec(`PRAGMA user_version = ${version}`);
  db.exec("COMMIT");
  return db;
}
