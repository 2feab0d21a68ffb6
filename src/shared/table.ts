// Table data in every stored shape, turned into rows under headers. Pure (no DOM): the host uses it to page
// a table to the webview, and tests run it in plain Node.
//
// Accepted shapes (SPEC section 4, and what older data may hold):
//   list of records        [{city: "Tokyo", pop: 37.1}, ...]          → one row a record, columns in first-seen order
//   record of columns      {city: ["Tokyo", ...], pop: [37.1, ...]}   → transposed to rows
//   list of rows           [["Tokyo", 37.1], ...]                     → rows as they are (never transposed)
//   rows with headers      {headers|columns: [...], rows: [[...], ...]}
//   any of these as a JSON string (Prefect stored tables that way)

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
  if (typeof data === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new Error(`This table's data is a string that is not JSON; a table is ${TABLE_SHAPES}.`);
    }
    if (typeof parsed === "string") throw new Error(`This table's data is a plain string; a table is ${TABLE_SHAPES}.`);
    return normalizeTable(parsed);
  }
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
