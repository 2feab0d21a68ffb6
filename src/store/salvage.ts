import type { Database, SqlJsStatic, SqlValue } from "sql.js";
import { rowsOnLeafPages, type ColumnShape } from "./pages";

// Salvaging a damaged database (SQLite's `.recover` idea, within what sql.js offers): every readable row is
// copied, table by table, into a fresh database. A table whose full scan fails is read by rowid ranges,
// split in halves around the ranges that fail down to single rows. Which rowids exist is learnt from the
// table's indexes, which are separate b-trees holding every rowid, so the rows lost can be counted exactly.
// Rows still missing then are looked for on the file's table leaf pages themselves (pages.ts): a damaged
// page that lists other pages hides intact leaves from SQL, not from a reader of the file format.

export interface SalvageReport {
  recovered: number;
  lost: number;
  /** Rows lost, by table (tables that lost none are absent). */
  lostByTable: Record<string, number>;
  /** Tables whose lost rows could not be counted (their indexes were unreadable too): `lost` is a lower bound. */
  uncounted: string[];
  /** Why nothing at all could be read (not a SQLite file, its schema damaged). */
  unreadable?: string;
}

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
/** Kept up by triggers or by SQLite itself as the rows go in: never copied. */
const DERIVED = new Set(["sqlite_sequence"]);
/** Without an index to say which rowids exist, probe at most this many ranges of one table. */
const PROBE_BUDGET = 5_000;
const UNINDEXED_MAX_ROWID = 1 << 20;

const NAMES: Record<string, string> = {
  flow_runs: "flow runs",
  flow_states: "flow run states",
  task_chunks: "chunks of task runs",
  log_chunks: "chunks of log lines",
  artifacts: "artifacts",
  seg_journals: "journal positions",
  seg_meta: "segment facts",
};

/**
 * A fresh database (made by `fresh`, with the current schema) holding every row of `bytes` that can be
 * read, and what was lost.
 */
export function salvageDatabase(SQL: SqlJsStatic, bytes: Uint8Array, fresh: () => Database): { db: Database; report: SalvageReport } {
  const db = fresh();
  const report: SalvageReport = { recovered: 0, lost: 0, lostByTable: {}, uncounted: [] };
  let damaged: Database | undefined;
  try {
    damaged = openDamaged(SQL, bytes);
    const tables = names(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rootpage");
    for (const table of tables) {
      if (DERIVED.has(table)) continue;
      db.exec("BEGIN");
      try {
        copyTable(damaged, db, table, report, bytes);
        db.exec("COMMIT");
      } catch (err) {
        db.exec("ROLLBACK");
        report.uncounted.push(table);
        report.unreadable ??= `${table}: ${(err as Error).message}`;
      }
    }
  } catch (err) {
    report.unreadable = (err as Error).message;
  } finally {
    damaged?.close();
  }
  return { db, report };
}

/** One line for the user: what was recovered, what was lost, where the original is. */
export function salvageMessage(cause: Error, report: SalvageReport, file: string, aside: string): string {
  const n = (v: number) => v.toLocaleString("en");
  const byTable = Object.entries(report.lostByTable).map(([t, v]) => `${n(v)} ${NAMES[t] ?? t}`);
  const lost = report.lost === 0 && report.uncounted.length === 0 ? "none lost" : `${report.uncounted.length ? "at least " : ""}${n(report.lost)} lost${byTable.length ? `: ${byTable.join(", ")}` : ""}`;
  const what = report.recovered === 0 && report.unreadable
    ? `nothing in it could be read (${report.unreadable}), so a new, empty database was started at ${file}`
    : `recovered ${n(report.recovered)} of ${n(report.recovered + report.lost)} rows (${lost}) into a new database at ${file}`;
  return `${cause.message} Salvaged it: ${what}; the damaged original is kept at ${aside}. Runs still in journals are folded into the new one.`;
}

function openDamaged(SQL: SqlJsStatic, bytes: Uint8Array): Database {
  // A damaged header alone must not hide every page behind it.
  const copy = Buffer.from(bytes);
  if (copy.length >= 100 && !copy.subarray(0, 16).equals(SQLITE_MAGIC)) SQLITE_MAGIC.copy(copy, 0);
  const db = new SQL.Database(copy);
  db.exec("SELECT count(*) FROM sqlite_master"); // reads the schema: throws when even that is gone
  return db;
}

function names(db: Database, sql: string, params: SqlValue[] = []): string[] {
  return (db.exec(sql, params)[0]?.values ?? []).map((r) => String(r[0]));
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function copyTable(from: Database, to: Database, table: string, report: SalvageReport, file: Uint8Array): void {
  const damagedInfo = from.exec(`PRAGMA table_info(${quote(table)})`)[0]?.values ?? [];
  const wanted = damagedInfo.map((r) => String(r[1]));
  const info = to.exec(`PRAGMA table_info(${quote(table)})`)[0]?.values ?? [];
  const cols = info.map((r) => String(r[1])).filter((c) => wanted.includes(c));
  if (cols.length === 0) return; // not in the damaged file (an older schema)
  // An INTEGER PRIMARY KEY is the rowid itself; other tables keep their rowids too (they order listings).
  const alias = info.find((r) => Number(r[5]) === 1 && String(r[2]).toUpperCase() === "INTEGER" && cols.includes(String(r[1])));
  const targetCols = alias ? cols : ["rowid", ...cols];
  const select = `SELECT rowid, ${cols.map(quote).join(", ")} FROM ${quote(table)}`;
  const insert = to.prepare(`INSERT OR IGNORE INTO ${quote(table)} (${targetCols.map(quote).join(", ")}) VALUES (${targetCols.map(() => "?").join(", ")})`);
  let recovered = 0;
  const got = new Set<number>();
  // Which rows exist, from the table's indexes (separate b-trees): a row read from a damaged page that no
  // index lists is garbage, not data.
  const indexes = rowidsFromIndexes(from, table);
  const known = indexes?.ids;
  const listed = known ? new Set(known) : undefined;
  const put = (row: SqlValue[]): void => {
    if (listed && !listed.has(Number(row[0])) && indexes?.complete) return;
    insert.run(alias ? row.slice(1) : row);
    if (to.getRowsModified() === 0) return; // a row with the same key is already in: this one is not kept
    recovered++;
    got.add(Number(row[0]));
  };
  const take = (where: string, params: SqlValue[]): void => {
    const stmt = from.prepare(`${select} ${where}`);
    const rows: SqlValue[][] = [];
    try {
      stmt.bind(params);
      while (stmt.step()) rows.push(stmt.get());
    } finally {
      stmt.free();
    }
    // Read the whole range before inserting any of it: a range that fails half-way is split and read again.
    for (const row of rows) put(row);
  };
  try {
    let scanned = true;
    try {
      take("", []);
    } catch {
      scanned = false;
    }
    // A full scan can also end early without an error (a damaged interior page that still parses): every
    // row the indexes list must have been read.
    if (scanned && (!known || known.every((id) => got.has(id)))) {
      report.recovered += recovered;
      return;
    }
    if (known && known.length > 0) {
      readList(known.filter((id) => !got.has(id)), take);
      const missing = new Set(known.filter((id) => !got.has(id)));
      if (missing.size > 0) {
        // Look for the rows still missing on the leaf pages themselves, in the damaged file's column order.
        const shapes: ColumnShape[] = damagedInfo.map((r) => ({ type: String(r[2]), rowidAlias: Number(r[5]) === 1 && String(r[2]).toUpperCase() === "INTEGER" }));
        for (const [rowid, values] of rowsOnLeafPages(file, missing, shapes)) {
          const byName = new Map(wanted.map((name, i) => [name, values[i]]));
          put([rowid, ...cols.map((c) => byName.get(c) ?? null)]);
        }
      }
      // Rows outside what the indexes know, at either end, when an index page is damaged as well.
      if (!indexes?.complete) for (const [where, p] of [["WHERE rowid < ?", known[0]], ["WHERE rowid > ?", known[known.length - 1]]] as const) {
        try {
          take(where, [p]);
        } catch {
          // damaged there too: those rows are not known to exist, so they are not counted
        }
      }
      const lost = known.filter((id) => !got.has(id)).length;
      report.lost += lost;
      if (lost > 0) report.lostByTable[table] = lost;
    } else if (!known) {
      readRanges(from, table, take);
      report.uncounted.push(table);
    }
    // (Indexes readable and listing no row: the table was empty; its own damaged page held nothing.)
    report.recovered += recovered;
  } finally {
    insert.free();
  }
}

/**
 * Every rowid the table's indexes list (each index is read on its own, without the table's pages), and
 * whether every index could be read (then no other row exists).
 */
function rowidsFromIndexes(db: Database, table: string): { ids: number[]; complete: boolean } | undefined {
  const ids = new Set<number>();
  let readable = false;
  let complete = true;
  const indexNames = names(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", [table]);
  // An automatic index (a TEXT or composite PRIMARY KEY, UNIQUE) is not in sqlite_master's sql but is listed.
  for (const index of indexNames) {
    try {
      const values = db.exec(`SELECT rowid FROM ${quote(table)} INDEXED BY ${quote(index)}`)[0]?.values ?? [];
      for (const [id] of values) ids.add(Number(id));
      readable = true;
    } catch {
      complete = false; // this index is damaged: the others may not be
    }
  }
  return readable ? { ids: [...ids].sort((a, b) => a - b), complete } : undefined;
}

/** Reads the rows of `ids` (sorted) in ranges, halving a range that fails down to single rows. */
function readList(ids: number[], take: (where: string, params: SqlValue[]) => void): void {
  if (ids.length === 0) return;
  const stack: Array<[number, number]> = [[0, ids.length - 1]];
  while (stack.length > 0) {
    const [a, b] = stack.pop() as [number, number];
    try {
      take("WHERE rowid BETWEEN ? AND ?", [ids[a], ids[b]]);
    } catch {
      if (a !== b) {
        const mid = (a + b) >> 1;
        stack.push([mid + 1, b], [a, mid]);
      }
    }
  }
}

/** Without a readable index: halve rowid ranges from 1 to the largest rowid (or a bound), within a budget. */
function readRanges(db: Database, table: string, take: (where: string, params: SqlValue[]) => void): void {
  let max = UNINDEXED_MAX_ROWID;
  try {
    max = Number(db.exec(`SELECT max(rowid) FROM ${quote(table)}`)[0]?.values[0]?.[0] ?? 0);
  } catch {
    // the rightmost pages are damaged: probe up to the bound
  }
  let budget = PROBE_BUDGET;
  const stack: Array<[number, number]> = [[1, max]];
  while (stack.length > 0 && budget-- > 0) {
    const [lo, hi] = stack.pop() as [number, number];
    try {
      take("WHERE rowid BETWEEN ? AND ?", [lo, hi]);
    } catch {
      if (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        stack.push([mid + 1, hi], [lo, mid]);
      }
    }
  }
}
