// A table artifact's shape, as the engine stores it and the panel reads it.
//
// The engine stores a table in the shape the user gave it (StoredTable; Flowline 1.0 stored {columns, rows}).
// The reader below turns table data into rows under headers for the panel, from any of those shapes
// (pure, no DOM: the host pages a table to the webview with it, and tests run it in plain Node):
//   list of records        [{city: "Tokyo", pop: 37.1}, ...]          → one row a record, columns in first-seen order
//   record of columns      {city: ["Tokyo", ...], pop: [37.1, ...]}   → transposed to rows
//   list of rows           [["Tokyo", 37.1], ...]                     → rows as they are (never transposed)
//   rows with headers      {headers: [...], rows: [[...], ...]}, and Flowline 1.0's {columns, rows}

/** A table artifact's data as stored: as the user gave it, its cells made JSON. */
export type StoredTable = Array<Record<string, unknown>> | Record<string, unknown[]> | unknown[][] | { headers: string[]; rows: unknown[][] };

/**
 * A table, normalised for showing: `rows[i][j]` is the cell of row i in column `columns[j]`. A list of
 * records gives its fields as columns (in first-seen order, null where a record lacks one); a record of
 * columns is turned to rows (shorter columns padded with null); a list of rows keeps its rows, under
 * `headers` or "Column 1", "Column 2", ...
 */
export interface NormalizedTable {
  columns: string[];
  rows: unknown[][];
}

export const TABLE_SHAPES =
  "a list of records, a record of columns, a list of rows, or {headers, rows}";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Rows with headers the right way round. Throws an Error naming the accepted shapes for anything else. */
export function normalizeTable(data: unknown): NormalizedTable {
  if (Array.isArray(data)) return fromList(data, undefined);
  if (isRecord(data)) {
    const rows = data.rows;
    const headers = Array.isArray(data.headers) ? data.headers : Array.isArray(data.columns) ? data.columns : undefined;
    // {headers, rows} unless it is really a record of columns that happen to be called so (values not rows).
    const rowsShape =
      Array.isArray(rows) &&
      rows.every((r) => Array.isArray(r) || isRecord(r)) &&
      Object.keys(data).every((k) => k === "rows" || k === "headers" || k === "columns");
    if (rowsShape) {
      return fromList(rows, headers?.map(String));
    }
    return fromColumns(data);
  }
  throw new Error(`This table's data is ${describe(data)}; a table is ${TABLE_SHAPES}.`);
}

function fromColumns(data: Record<string, unknown>): NormalizedTable {
  const columns = Object.keys(data);
  const lists: unknown[][] = [];
  for (const c of columns) {
    const v = data[c];
    if (!Array.isArray(v)) {
      throw new Error(`Column '${c}' of this table is ${describe(v)}, not a list; a table is ${TABLE_SHAPES}.`);
    }
    lists.push(v);
  }
  let length = 0;
  for (const l of lists) length = Math.max(length, l.length);
  const rows: unknown[][] = new Array(length);
  for (let r = 0; r < length; r++) {
    const row = new Array<unknown>(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = r < lists[c].length ? lists[c][r] : null;
    rows[r] = row;
  }
  return { columns, rows };
}

/** A list whose items are records or rows (Prefect accepts a mix): records fill named columns, rows fill by position. */
function fromList(items: unknown[], headers: string[] | undefined): NormalizedTable {
  const columns: string[] = headers ? [...headers] : [];
  const index = new Map<string, number>();
  columns.forEach((c, i) => index.set(c, i));
  const rows: unknown[][] = new Array(items.length);
  for (let r = 0; r < items.length; r++) {
    const item = items[r];
    if (Array.isArray(item)) {
      rows[r] = item.slice();
    } else if (isRecord(item)) {
      const row: unknown[] = [];
      for (const k in item) {
        let c = index.get(k);
        if (c === undefined) {
          c = columns.length;
          columns.push(k);
          index.set(k, c);
        }
        row[c] = item[k];
      }
      rows[r] = row;
    } else {
      throw new Error(`Row ${r + 1} of this table is ${describe(item)}; each row is a record or a list, and a table is ${TABLE_SHAPES}.`);
    }
  }
  // Rows longer than the headers get numbered columns, so no value is hidden.
  let width = columns.length;
  for (const row of rows) width = Math.max(width, row.length);
  for (let c = columns.length; c < width; c++) columns.push(uniqueName(`Column ${c + 1}`, index));
  for (const row of rows) {
    for (let c = 0; c < width; c++) if (row[c] === undefined) row[c] = null;
  }
  return { columns, rows };
}

function uniqueName(name: string, taken: Map<string, number>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name} (${i})`;
  taken.set(n, taken.size);
  return n;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a record";
  return `a ${typeof v}`;
}

/** The text a cell shows, searches and exports: strings as they are, JSON for nested values, empty for null. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v);
}
