import type { ArtifactType } from "../shared/events";
import type { Database, SqlValue, Statement } from "sql.js";

// Small helpers over a sql.js database: prepared statements kept per database (sql.js frees them all on
// export(), so `free()` must run before one), and typed value conversions for rows read by position.

export type Row = SqlValue[];

export class Prepared {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: Database) {}

  private stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  run(sql: string, params: SqlValue[] = []): number {
    this.stmt(sql).run(params);
    return this.db.getRowsModified();
  }

  all<T>(sql: string, params: SqlValue[], map: (row: Row) => T): T[] {
    const s = this.stmt(sql);
    try {
      s.bind(params);
      const out: T[] = [];
      while (s.step()) out.push(map(s.get()));
      return out;
    } finally {
      s.reset();
    }
  }

  one<T>(sql: string, params: SqlValue[], map: (row: Row) => T): T | undefined {
    const s = this.stmt(sql);
    try {
      s.bind(params);
      return s.step() ? map(s.get()) : undefined;
    } finally {
      s.reset();
    }
  }

  value(sql: string, params: SqlValue[] = []): SqlValue {
    return this.one(sql, params, (r) => r[0]) ?? null;
  }

  free(): void {
    for (const s of this.cache.values()) s.free();
    this.cache.clear();
  }
}

export const str = (v: SqlValue): string => (v === null || v === undefined ? "" : String(v));
export const optStr = (v: SqlValue): string | undefined => (v === null || v === undefined ? undefined : String(v));
export const num = (v: SqlValue): number => (v === null || v === undefined ? 0 : Number(v));
export const optNum = (v: SqlValue): number | undefined => (v === null || v === undefined ? undefined : Number(v));

/** How each column of a row is read, one reader per field, in the order of the SELECT's columns. */
export type ColumnReaders<T> = { readonly [K in keyof T]-?: (v: SqlValue) => T[K] };

/** A row decoder from its column readers: field i is read from column `from + i`. */
export function rowReader<T>(columns: ColumnReaders<T>): (r: Row, from?: number) => T {
  const keys = Object.keys(columns) as Array<keyof T & string>;
  const reads = keys.map((k) => columns[k] as (v: SqlValue) => unknown);
  return (r, from = 0) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) out[keys[i]] = reads[i](r[from + i]);
    return out as T;
  };
}

export function parseJson(v: SqlValue): unknown {
  if (v === null || v === undefined) return undefined;
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
}

export function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function strings(v: SqlValue): string[] {
  const parsed = parseJson(v);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

/** LIMIT/OFFSET for a query; integers only (never interpolate anything else into SQL). */
export function limitClause(limit: number | undefined, offset: number | undefined): string {
  const n = (v: number) => Math.max(0, Math.floor(v));
  if (offset !== undefined && offset > 0) return `LIMIT ${limit !== undefined ? n(limit) : -1} OFFSET ${n(offset)}`;
  return limit !== undefined ? `LIMIT ${n(limit)}` : "";
}

/** Runs `fn` in a transaction (rolled back if it throws). */
export function transaction<T>(db: Database, fn: () => T): T {
  db.exec("BEGIN");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}

export function pragmaNumber(db: Database, pragma: string): number {
  return Number(db.exec(`PRAGMA ${pragma}`)[0]?.values[0]?.[0] ?? 0);
}

/** The columns every artifact row has, in the store's tables of versions and of each key's latest. */
export const ARTIFACT_HEAD_COLS = "seq, id, key, type, description, flow_run_id, task_run_id, created, updated";

export interface ArtifactHead {
  seq: number;
  id: string;
  key?: string;
  type: ArtifactType;
  description?: string;
  flowRunId?: string;
  taskRunId?: string;
  created: string;
  updated: string;
}

/** Reads ARTIFACT_HEAD_COLS from the start of a row. */
export const artifactHead: (r: Row) => ArtifactHead = rowReader<ArtifactHead>({
  seq: num,
  id: str,
  key: optStr,
  type: (v) => str(v) as ArtifactType,
  description: optStr,
  flowRunId: optStr,
  taskRunId: optStr,
  created: str,
  updated: str,
});
