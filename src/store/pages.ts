import type { SqlValue } from "sql.js";

// Rows read straight from a SQLite file's pages (its documented file format, "Database File Format" on
// sqlite.org), for the salvage: a damaged interior page hides every leaf page below it from SQL, though
// those leaves are intact. Only table leaf pages are read (b-tree page type 13); their cells carry a rowid
// and a record, whose payload may continue on overflow pages.

const LEAF_TABLE = 0x0d;
const MAX_OVERFLOW_PAGES = 100_000;

/** A column as declared: "INTEGER", "TEXT", … (checked against what a record holds). */
export interface ColumnShape {
  type: string;
  /** The INTEGER PRIMARY KEY: stored as NULL in the record, its value is the rowid. */
  rowidAlias: boolean;
}

/**
 * The records of the cells whose rowid is in `wanted`, from every table leaf page whose cells are all in
 * `wanted` and fit `columns` (same number of values at most, each of a type its column accepts): a page of
 * another table is not taken for this one's. Damaged pages and cells are skipped.
 */
export function rowsOnLeafPages(file: Uint8Array, wanted: Set<number>, columns: ColumnShape[]): Map<number, SqlValue[]> {
  const found = new Map<number, SqlValue[]>();
  const reader = new PageReader(file);
  if (!reader.valid || wanted.size === 0) return found;
  for (let page = 1; page <= reader.pageCount; page++) {
    let cells: Array<[number, SqlValue[]]>;
    try {
      cells = reader.leafCells(page);
    } catch {
      continue; // not a readable table leaf
    }
    if (cells.length === 0 || !cells.every(([rowid, values]) => wanted.has(rowid) && fits(values, columns))) continue;
    for (const [rowid, values] of cells) {
      found.set(rowid, columns.map((c, i) => (c.rowidAlias ? rowid : values[i] ?? null)));
    }
  }
  return found;
}

function fits(values: SqlValue[], columns: ColumnShape[]): boolean {
  if (values.length === 0 || values.length > columns.length) return false;
  return values.every((v, i) => {
    if (v === null) return true;
    const type = columns[i].type.toUpperCase();
    if (type.includes("INT")) return typeof v === "number";
    if (type.includes("TEXT") || type.includes("CHAR") || type.includes("CLOB")) return typeof v === "string";
    return true;
  });
}

class PageReader {
  readonly valid: boolean;
  readonly pageSize: number;
  readonly pageCount: number;
  private readonly usable: number;
  private readonly view: DataView;
  private readonly text = new TextDecoder("utf-8", { fatal: true });

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const raw = bytes.length >= 100 ? this.view.getUint16(16) : 0;
    this.pageSize = raw === 1 ? 65536 : raw;
    this.valid = this.pageSize >= 512 && (this.pageSize & (this.pageSize - 1)) === 0 && bytes[56 + 3] !== 2 && bytes[56 + 3] !== 3; // UTF-8 text only
    this.usable = this.pageSize - (bytes[20] ?? 0);
    this.pageCount = this.valid ? Math.floor(bytes.length / this.pageSize) : 0;
  }

  /** The [rowid, record values] of every cell of a table leaf page; throws when it is not one, or is damaged. */
  leafCells(page: number): Array<[number, SqlValue[]]> {
    const start = (page - 1) * this.pageSize;
    const header = start + (page === 1 ? 100 : 0);
    if (this.bytes[header] !== LEAF_TABLE) return [];
    const count = this.view.getUint16(header + 3);
    const cells: Array<[number, SqlValue[]]> = [];
    for (let i = 0; i < count; i++) {
      const at = start + this.view.getUint16(header + 8 + 2 * i);
      if (at < header + 8 || at >= start + this.usable) throw new Error("cell pointer out of its page");
      const [size, afterSize] = this.varint(at);
      const [rowid, pos] = this.varint(afterSize);
      cells.push([Number(rowid), this.record(this.payload(Number(size), pos, start))]);
    }
    return cells;
  }

  /** The cell's payload: what is on its page, then its overflow pages (the file format's local-size rule). */
  private payload(size: number, pos: number, pageStart: number): Uint8Array {
    const u = this.usable;
    const maxLocal = u - 35;
    const minLocal = Math.floor(((u - 12) * 32) / 255) - 23;
    let local = size;
    if (size > maxLocal) {
      const k = minLocal + ((size - minLocal) % (u - 4));
      local = k <= maxLocal ? k : minLocal;
    }
    if (pos + local > pageStart + u) throw new Error("cell beyond its page");
    if (local === size) return this.bytes.subarray(pos, pos + size);
    const out = new Uint8Array(size);
    out.set(this.bytes.subarray(pos, pos + local));
    let filled = local;
    let next = this.view.getUint32(pos + local);
    for (let hops = 0; filled < size; hops++) {
      if (next < 1 || next > this.pageCount || hops > MAX_OVERFLOW_PAGES) throw new Error("broken overflow chain");
      const at = (next - 1) * this.pageSize;
      const take = Math.min(u - 4, size - filled);
      out.set(this.bytes.subarray(at + 4, at + 4 + take), filled);
      filled += take;
      next = this.view.getUint32(at);
    }
    return out;
  }

  private record(payload: Uint8Array): SqlValue[] {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const [headerSize, first] = varint(payload, 0);
    if (headerSize > payload.length) throw new Error("record header beyond its payload");
    const types: number[] = [];
    for (let pos = first; pos < headerSize; ) {
      const [t, next] = varint(payload, pos);
      types.push(Number(t));
      pos = next;
    }
    const values: SqlValue[] = [];
    let body = Number(headerSize);
    for (const t of types) {
      const [value, length] = this.value(t, view, payload, body);
      if (body + length > payload.length) throw new Error("record body beyond its payload");
      values.push(value);
      body += length;
    }
    return values;
  }

  private value(type: number, view: DataView, payload: Uint8Array, at: number): [SqlValue, number] {
    switch (type) {
      case 0: return [null, 0];
      case 1: return [view.getInt8(at), 1];
      case 2: return [view.getInt16(at), 2];
      case 3: return [(view.getInt8(at) << 16) | view.getUint16(at + 1), 3];
      case 4: return [view.getInt32(at), 4];
      case 5: return [view.getInt16(at) * 2 ** 32 + view.getUint32(at + 2), 6];
      case 6: return [Number(view.getBigInt64(at)), 8];
      case 7: return [view.getFloat64(at), 8];
      case 8: return [0, 0];
      case 9: return [1, 0];
      default: {
        if (type < 12) throw new Error(`reserved serial type ${type}`);
        const length = Math.floor((type - 12) / 2);
        const bytes = payload.subarray(at, at + length);
        return [type % 2 === 0 ? new Uint8Array(bytes) : this.text.decode(bytes), length];
      }
    }
  }

  private varint(at: number): [bigint, number] {
    return varint(this.bytes, at);
  }
}

/** SQLite's variable-length integer: up to 8 bytes of 7 bits (high bit: more follow), a 9th of 8 bits. */
function varint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  for (let i = 0; i < 9; i++) {
    const b = bytes[at + i];
    if (b === undefined) throw new Error("varint beyond the data");
    if (i === 8) return [(value << 8n) | BigInt(b), at + 9];
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) return [value, at + i + 1];
  }
  throw new Error("unreachable");
}
