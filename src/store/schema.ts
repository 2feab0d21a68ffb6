import type { Database } from "sql.js";

// The schemas of the store's two kinds of database, each versioned with PRAGMA user_version and migrated
// forward on open. Never edit a released migration: add one.
//
// - A SEGMENT holds the rows of the flow runs homed in it: the runs, their state history, references to
//   their task-run chunks and log chunks (payload file), and their artifacts.
// - The INDEX holds what must be found without opening segments: the segments themselves, which segment
//   each flow run lives in, each artifact key's latest version and which segments hold its versions, and
//   how far each journal has been folded. Segment tables keep rowids (no WITHOUT ROWID), so that a damaged
//   segment can be salvaged row by row (salvage.ts); a damaged index is rebuilt from the segments
//   (rebuild.ts). Its versions start at 101 so that a Flowline 1.0 (schema 1–3)
//   refuses it as "written by a newer Flowline" instead of misreading it.

export type Migration = (db: Database) => void;

/**
 * The columns an artifact version (segments) and a key's latest version (index) both have, as the first
 * migration of each made them. Frozen with those migrations: a change is a new migration, not an edit here.
 */
export const ARTIFACT_HEAD_V1 = "type TEXT NOT NULL, description TEXT, flow_run_id TEXT, task_run_id TEXT, created TEXT NOT NULL, updated TEXT NOT NULL";

/**
 * A flow run's columns as the first segment migration made them; team mode's PostgreSQL schema
 * (team/pg-schema.ts) creates its flow_runs with the same text, so both stores keep one shape. Frozen too.
 */
export const FLOW_RUN_COLUMNS_V1 = `        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        flow_name TEXT NOT NULL,
        parameters TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        parent_flow_run_id TEXT,
        parent_task_run_id TEXT,
        state_type TEXT NOT NULL,
        state_name TEXT NOT NULL,
        state_message TEXT,
        run_count INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        expected_start_time TEXT,
        start_time TEXT,
        end_time TEXT,
        result_key TEXT,
        result TEXT,
        file TEXT,
        pid INTEGER,`;

const SEGMENT_MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE seg_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      -- How far each journal homed here has been folded: the same facts as the index's journals table,
      -- kept here too so that a damaged index can be rebuilt from its segments without folding twice.
      CREATE TABLE seg_journals (
        name TEXT PRIMARY KEY,
        folded_bytes INTEGER NOT NULL,
        closed INTEGER NOT NULL,
        done INTEGER NOT NULL
      );

      CREATE TABLE flow_runs (
${FLOW_RUN_COLUMNS_V1}
        journal TEXT,
        -- Its task runs (counted by state type, JSON) and log lines, kept in chunks (tables below).
        task_runs INTEGER NOT NULL DEFAULT 0,
        task_states TEXT NOT NULL DEFAULT '{}',
        logs INTEGER NOT NULL DEFAULT 0,
        log_bytes INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX flow_runs_created ON flow_runs (created);
      CREATE INDEX flow_runs_flow_name ON flow_runs (flow_name, created);
      CREATE INDEX flow_runs_parent ON flow_runs (parent_flow_run_id);
      CREATE INDEX flow_runs_journal ON flow_runs (journal);

      CREATE TABLE flow_states (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        message TEXT,
        ts TEXT NOT NULL
      );
      CREATE INDEX flow_states_run ON flow_states (run_id, seq);

      -- A flow run's task runs in creation order, up to 1,000 a chunk: the journal lines that created them
      -- and changed their state (lines counts them), replayed when read. The open (last) chunk is kept
      -- inline in doc; a full chunk lives in the payload file at (off, len) and is checked with crc.
      CREATE TABLE task_chunks (
        flow_run_id TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        count INTEGER NOT NULL,
        lines INTEGER NOT NULL,
        states TEXT NOT NULL,
        first_created TEXT,
        doc TEXT,
        off INTEGER,
        len INTEGER,
        crc INTEGER,
        PRIMARY KEY (flow_run_id, chunk)
      );

      CREATE TABLE log_chunks (
        flow_run_id TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        doc TEXT,
        off INTEGER,
        len INTEGER,
        crc INTEGER,
        PRIMARY KEY (flow_run_id, chunk)
      );

      -- seq is store-wide insertion order (from the index): a key's latest version is its highest seq.
      -- Data up to 512 bytes is inline; larger data is in the payload file.
      CREATE TABLE artifacts (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        key TEXT,
        ${ARTIFACT_HEAD_V1},
        data TEXT,
        off INTEGER,
        len INTEGER,
        crc INTEGER
      );
      CREATE INDEX artifacts_key ON artifacts (key, seq);
      CREATE INDEX artifacts_flow_run ON artifacts (flow_run_id);
      CREATE INDEX artifacts_task_run ON artifacts (task_run_id);
    `);
  },
];

const INDEX_MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        db_file TEXT,
        dat_file TEXT NOT NULL,
        db_bytes INTEGER NOT NULL DEFAULT 0,
        dat_bytes INTEGER NOT NULL DEFAULT 0,
        flow_runs INTEGER NOT NULL DEFAULT 0,
        live_runs INTEGER NOT NULL DEFAULT 0,
        artifacts INTEGER NOT NULL DEFAULT 0,
        min_created TEXT,
        max_created TEXT,
        max_seq INTEGER NOT NULL DEFAULT 0,
        max_changed TEXT,
        min_changed TEXT,
        month TEXT NOT NULL
      );

      CREATE TABLE run_locator (id TEXT PRIMARY KEY, segment INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX run_locator_segment ON run_locator (segment);

      CREATE TABLE artifact_keys (
        key TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        ${ARTIFACT_HEAD_V1},
        segment INTEGER NOT NULL,
        versions INTEGER NOT NULL
      );
      CREATE INDEX artifact_keys_seq ON artifact_keys (seq);

      CREATE TABLE key_segments (
        key TEXT NOT NULL,
        segment INTEGER NOT NULL,
        versions INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        PRIMARY KEY (key, segment)
      ) WITHOUT ROWID;
      CREATE INDEX key_segments_segment ON key_segments (segment);

      -- How far each journal has been folded, and the segment its runs are homed in. done = 1: fully
      -- folded and finished; the file is deleted once an index that says so is written.
      CREATE TABLE journals (
        name TEXT PRIMARY KEY,
        folded_bytes INTEGER NOT NULL DEFAULT 0,
        closed INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0,
        segment INTEGER
      );
    `);
  },
];

const INDEX_BASE = 100;
export const INDEX_SCHEMA_VERSION = INDEX_BASE + INDEX_MIGRATIONS.length;
export const SEGMENT_SCHEMA_VERSION = SEGMENT_MIGRATIONS.length;

export class NewerSchemaError extends Error {
  constructor(
    readonly file: string,
    readonly version: number,
  ) {
    super(
      `The database ${file} was written by a newer Flowline (schema version ${version}; this Flowline knows up to ` +
        `${version > INDEX_BASE ? INDEX_SCHEMA_VERSION : SEGMENT_SCHEMA_VERSION}). Update Flowline (the extension and ` +
        `the CLI) to use it; it was left untouched.`,
    );
    this.name = "NewerSchemaError";
  }
}

export function schemaVersion(db: Database): number {
  return Number(db.exec("PRAGMA user_version")[0]?.values[0]?.[0] ?? 0);
}

/**
 * Connection settings, lost whenever sql.js reopens a database (every load and every export()): the file
 * already lives in memory, so keep the rollback journal there too, and give the page cache room.
 */
export function tuneConnection(db: Database): void {
  db.exec("PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384");
}

function migrateWith(db: Database, file: string, migrations: readonly Migration[], base: number): boolean {
  const current = schemaVersion(db);
  const from = current === 0 ? 0 : current - base;
  if (from > migrations.length || from < 0) throw new NewerSchemaError(file, current);
  if (from === migrations.length) return false;
  if (current === 0) db.exec("PRAGMA page_size = 8192");
  db.exec("BEGIN");
  try {
    for (let v = from; v < migrations.length; v++) migrations[v](db);
    db.exec(`PRAGMA user_version = ${base + migrations.length}`);
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
  return true;
}

export function migrateSegment(db: Database, file: string): boolean {
  return migrateWith(db, file, SEGMENT_MIGRATIONS, 0);
}

export function migrateIndex(db: Database, file: string): boolean {
  return migrateWith(db, file, INDEX_MIGRATIONS, INDEX_BASE);
}

/**
 * A 1.0 database (everything in one file: schema 1 to 4, 4 being the development schema that kept a key's
 * latest by insertion order) rather than an index of segments.
 */
export function isLayoutOne(db: Database): boolean {
  const v = schemaVersion(db);
  if (v < 1 || v > 4) return false;
  return (db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flow_runs'")[0]?.values.length ?? 0) > 0;
}
