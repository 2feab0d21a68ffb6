import { cellText } from "../src/shared/table";

// CSV as RFC 4180 writes it: fields with a comma, quote or line break are quoted, quotes doubled,
// lines end with CRLF. Nested values are their JSON text, empty cells empty.

const NEEDS_QUOTES = /[",\r\n]/;

function field(v: unknown): string {
  const s = cellText(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: string[], rows: Iterable<unknown[]>): string {
  const out: string[] = [columns.map(field).join(",")];
  for (const row of rows) {
    let line = "";
    for (let c = 0; c < columns.length; c++) line += (c ? "," : "") + field(row[c]);
    out.push(line);
  }
  return out.join("\r\n") + "\r\n";
}
