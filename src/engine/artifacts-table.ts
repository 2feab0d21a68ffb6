import { ArtifactError, describe } from "./artifacts-data";
import type { StoredTable } from "../shared/table";

// Tables: the three shapes a user may give are checked and stored as they were given (SPEC §6: data as
// it was created), so `artifacts inspect --json` and the panel's Raw mode give back records as records, a
// record of columns as columns, and rows with `headers` as {headers, rows}. Readers turn any of them into
// rows under columns (src/shared/table.ts). Cells are made JSON: NaN and ±Infinity become null, a Date
// its ISO string, a BigInt its digits, undefined null; nested arrays and objects stay JSON. A cell that
// cannot become JSON is an error naming its row and column.

/** A record of columns: every field a list (a mapped type, so interfaces without an index signature fit). */
export type TableColumns<T> = { readonly [K in keyof T]: readonly unknown[] };

/** A table as a user may give it: a list of records or of rows (any objects), or a record of columns. */
export type TableInput<T = Record<string, readonly unknown[]>> = readonly object[] | TableColumns<T>;

const SHAPES =
  "createTableArtifact accepts a list of records ([{ a: 1, b: 2 }, ...]), a record of columns ({ a: [1, 3], b: [2, 4] }) " +
  "or a list of rows ([[1, 2], [3, 4]], naming the columns with the option headers: [\"a\", \"b\"])";

/** The table as it will be stored: its shape as given, its cells made JSON. */
export function checkTable(table: unknown, headers?: unknown): StoredTable {
  const names = headers === undefined || headers === null ? undefined : checkHeaders(headers);
  if (Array.isArray(table)) {
    const first = table.find((row) => row !== undefined);
    if (names !== undefined && isRecord(first)) {
      throw new ArtifactError(`The headers option names the columns of a list of rows; this is a list of records, whose fields name the columns. Leave headers out.`);
    }
    if (names !== undefined) return { headers: names, rows: fromRows(table, names) };
    if (Array.isArray(first)) return fromRows(table, undefined);
    if (first === undefined) return [];
    if (isRecord(first)) return fromRecords(table);
    throw new ArtifactError(`${SHAPES}; row 0 is ${describe(first)}.`);
  }
  if (names !== undefined) {
    throw new ArtifactError(`The headers option names the columns of a list of rows; this table is ${describe(table)}. ${SHAPES}.`);
  }
  if (isRecord(table)) return fromColumns(table as Record<string, unknown>);
  throw new ArtifactError(`${SHAPES}; got ${describe(table)}.`);
}

function checkHeaders(headers: unknown): string[] {
  if (!Array.isArray(headers) || headers.some((h) => typeof h !== "string")) {
    throw new ArtifactError(`The headers option must be a list of column names (strings), not ${describe(headers)}.`);
  }
  const seen = new Set<string>();
  for (const h of headers as string[]) {
    if (seen.has(h)) throw new ArtifactError(`The headers option names the column ${JSON.stringify(h)} twice; column names must differ.`);
    seen.add(h);
  }
  return [...(headers as string[])];
}

function fromRows(table: readonly unknown[], headers: string[] | undefined): unknown[][] {
  for (let r = 0; r < table.length; r++) {
    const row = table[r];
    if (!Array.isArray(row)) {
      throw new ArtifactError(`${SHAPES}; this is a list of rows, but row ${r} is ${describe(row)}, not a list. Make every row a list.`);
    }
    if (headers !== undefined && row.length > headers.length) {
      throw new ArtifactError(`Row ${r} has ${row.length} cells, but the headers option names ${headers.length} columns. Name every column in headers.`);
    }
  }
  const rows = new Array<unknown[]>(table.length);
  for (let r = 0; r < table.length; r++) {
    const row = table[r] as unknown[];
    const out = new Array<unknown>(row.length);
    for (let c = 0; c < row.length; c++) out[c] = cell(row[c], r, headers?.[c] ?? String(c));
    rows[r] = out;
  }
  return rows;
}

function fromRecords(table: readonly unknown[]): Array<Record<string, unknown>> {
  const records = new Array<Record<string, unknown>>(table.length);
  for (let r = 0; r < table.length; r++) {
    const row = table[r];
    if (!isRecord(row)) {
      throw new ArtifactError(`${SHAPES}; this is a list of records, but row ${r} is ${describe(row)}, not a record. Make every row a record.`);
    }
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(row)) out[name] = cell(row[name], r, name);
    records[r] = out;
  }
  return records;
}

function fromColumns(table: Record<string, unknown>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const name of Object.keys(table)) {
    const values = table[name];
    if (!Array.isArray(values)) {
      throw new ArtifactError(`${SHAPES}; this is a record of columns, but column ${JSON.stringify(name)} is ${describe(values)}, not a list.`);
    }
    out[name] = values.map((v: unknown, r: number) => cell(v, r, name));
  }
  return out;
}

/** Objects that JSON would silently turn into {} (or that are not data at all). */
function lossyKind(value: object): string | undefined {
  if (value instanceof Map) return "a Map";
  if (value instanceof Set) return "a Set";
  if (value instanceof WeakMap || value instanceof WeakSet) return `a ${value.constructor.name}`;
  if (value instanceof RegExp) return "a RegExp";
  if (value instanceof Error) return `an error (${value.name})`;
  if (value instanceof Promise) return "a Promise (await it first)";
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `binary data (${value.constructor.name})`;
  return undefined;
}

/** A row of a list of records: an object that is not a list, a date or one of the lossy kinds. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date) && lossyKind(value) === undefined;
}

function cell(value: unknown, row: number, column: string): unknown {
  const trail: string[] = [];
  try {
    return sanitise(value, trail, undefined);
  } catch (err) {
    if (!(err instanceof NotJson)) throw err;
    const inside = trail.length ? ` (at ${trail.join("")})` : "";
    throw new ArtifactError(
      `Table cell at row ${row}, column ${JSON.stringify(column)}${inside} cannot be stored as JSON: it is ${err.message}. ` +
        `Convert it to a string, number, boolean, plain object or list first.`,
    );
  }
}

class NotJson extends Error {}

/**
 * The JSON form of a cell. `trail` is left at the failing spot when it throws NotJson. The set of ancestors is
 * made at the first object, so the common cell, a primitive, costs no allocation beyond its trail.
 */
function sanitise(value: unknown, trail: string[], seen: Set<object> | undefined): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value.toString();
    case "undefined":
      return null;
    case "function":
    case "symbol":
      throw new NotJson(describe(value));
  }
  if (value === null) return null;
  const obj = value as object;
  const ancestors = seen ?? new Set<object>();
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (ancestors.has(obj)) throw new NotJson("a circular reference (an object that contains itself)");
  if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    let json: unknown;
    try {
      json = (obj as { toJSON(): unknown }).toJSON();
    } catch (err) {
      throw new NotJson(`${describe(obj)} whose toJSON() threw (${(err as Error).message ?? err})`);
    }
    ancestors.add(obj);
    const out = sanitise(json, trail, ancestors);
    ancestors.delete(obj);
    return out;
  }
  const lossy = lossyKind(obj);
  if (lossy) throw new NotJson(lossy);
  ancestors.add(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    const list = new Array<unknown>(obj.length);
    for (let i = 0; i < obj.length; i++) {
      trail.push(`[${i}]`);
      list[i] = sanitise(obj[i], trail, ancestors);
      trail.pop();
    }
    out = list;
  } else {
    const record: Record<string, unknown> = {};
    for (const k of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[k];
      if (v === undefined) continue; // as JSON.stringify does
      trail.push(/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);
      record[k] = sanitise(v, trail, ancestors);
      trail.pop();
    }
    out = record;
  }
  ancestors.delete(obj);
  return out;
}
