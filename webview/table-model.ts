import type { SortDir } from "../src/shared/panel-protocol";
import { cellText } from "../src/shared/table";

// The table's rows, search and sort, without the DOM (tests drive it in plain Node).
//
// Speed at 100,000 rows comes from work done once: each row's cells are joined into one lowercase string
// as the row arrives, so a keystroke is one `includes` a row; a query that extends the previous one only
// re-checks the rows that matched before. Sort keys are made once per column, on its first sort. The
// view is an index array (`view[0..length)`), so the rows themselves never move.

type SortKey = number | string | null;

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const ASCII = /^[\x00-\x7f]*$/;
/** Between cells in a row's search text, so a query (one line) never matches across two cells. */
const CELL_SEPARATOR = "\n";

export class TableModel {
  readonly rows: unknown[][] = [];
  private readonly text: string[] = [];
  private view = new Uint32Array(0);
  private viewLength = 0;
  private query = "";
  /** The query `view` was filtered with, or undefined when `view` must be rebuilt from scratch. */
  private viewQuery: string | undefined;
  private sortState: { column: number; dir: SortDir } | undefined;
  /** All loaded rows in sort order (undefined: arrival order). */
  private order: Uint32Array | undefined;
  private readonly keys = new Map<number, SortKey[]>();
  private readonly collator = new Intl.Collator();

  constructor(
    readonly columns: string[],
    /** The number of rows the host said it will send. */
    readonly total: number,
  ) {}

  get loaded(): number {
    return this.rows.length;
  }

  get complete(): boolean {
    return this.rows.length >= this.total;
  }

  /** Rows in the view (after search). */
  get length(): number {
    return this.viewLength;
  }

  get sort(): { column: number; dir: SortDir } | undefined {
    return this.sortState;
  }

  get search(): string {
    return this.query;
  }

  /** The row shown at a view position. */
  rowAt(position: number): unknown[] {
    return this.rows[this.view[position]];
  }

  /** The row's index in the data (for aria-rowindex and tests). */
  indexAt(position: number): number {
    return this.view[position];
  }

  append(rows: unknown[][]): void {
    const start = this.rows.length;
    for (const row of rows) {
      this.rows.push(row);
      let s = "";
      for (let c = 0; c < row.length; c++) s += (c ? CELL_SEPARATOR : "") + cellText(row[c]);
      this.text.push(s.toLowerCase());
    }
    for (const [column, keys] of this.keys) this.extendKeys(column, keys, start);
    if (this.sortState) {
      // Sorting every chunk would sort 100,000 rows ten times; rows show in arrival order until the last one.
      if (this.complete) this.applySort();
      else this.appendToView(start);
    } else {
      this.appendToView(start);
    }
  }

  setSearch(query: string): void {
    this.query = query.toLowerCase();
    this.refilter();
  }

  /** `dir` undefined: back to the data's own order. */
  setSort(column: number, dir: SortDir | undefined): void {
    this.sortState = dir === undefined || column < 0 || column >= this.columns.length ? undefined : { column, dir };
    this.applySort();
  }

  /** Positions in the view, in order (for copy and export). */
  *viewRows(): Iterable<unknown[]> {
    for (let i = 0; i < this.viewLength; i++) yield this.rows[this.view[i]];
  }

  private applySort(): void {
    const s = this.sortState;
    if (!s || !this.complete) {
      this.order = undefined;
    } else {
      const keys = this.keysFor(s.column);
      const order = new Uint32Array(this.rows.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      const sign = s.dir === "asc" ? 1 : -1;
      const collator = this.collator;
      order.sort((a, b) => {
        const ka = keys[a];
        const kb = keys[b];
        if (ka === kb) return a - b;
        // Empty cells last in both directions; numbers before text; ties keep the data's order.
        if (ka === null) return 1;
        if (kb === null) return -1;
        if (typeof ka === "number") {
          if (typeof kb !== "number") return -sign;
          return ka < kb ? -sign : ka > kb ? sign : a - b;
        }
        if (typeof kb === "number") return sign;
        const c = ASCII.test(ka) && ASCII.test(kb) ? (ka < kb ? -1 : ka > kb ? 1 : 0) : collator.compare(ka, kb);
        return c === 0 ? a - b : c * sign;
      });
      this.order = order;
    }
    this.viewQuery = undefined;
    this.refilter();
  }

  private keysFor(column: number): SortKey[] {
    let keys = this.keys.get(column);
    if (!keys) {
      keys = [];
      this.keys.set(column, keys);
      this.extendKeys(column, keys, 0);
    }
    return keys;
  }

  private extendKeys(column: number, keys: SortKey[], from: number): void {
    for (let i = from; i < this.rows.length; i++) keys.push(sortKey(this.rows[i][column]));
  }

  private refilter(): void {
    const q = this.query;
    const prev = this.viewQuery;
    if (prev !== undefined && q.startsWith(prev)) {
      // Narrowing: only rows that matched the shorter query can match this one.
      if (q !== prev) {
        let n = 0;
        for (let i = 0; i < this.viewLength; i++) {
          const r = this.view[i];
          if (this.text[r].includes(q)) this.view[n++] = r;
        }
        this.viewLength = n;
      }
    } else {
      if (this.view.length < this.rows.length) this.view = new Uint32Array(this.rows.length);
      let n = 0;
      const order = this.order;
      const total = this.rows.length;
      for (let i = 0; i < total; i++) {
        const r = order ? order[i] : i;
        if (q === "" || this.text[r].includes(q)) this.view[n++] = r;
      }
      this.viewLength = n;
    }
    this.viewQuery = q;
  }

  private appendToView(from: number): void {
    if (this.viewQuery === undefined || this.order) return this.refilter();
    if (this.view.length < this.rows.length) {
      const grown = new Uint32Array(Math.max(this.rows.length, this.view.length * 2));
      grown.set(this.view.subarray(0, this.viewLength));
      this.view = grown;
    }
    const q = this.viewQuery;
    let n = this.viewLength;
    for (let r = from; r < this.rows.length; r++) if (q === "" || this.text[r].includes(q)) this.view[n++] = r;
    this.viewLength = n;
  }
}

function sortKey(v: unknown): SortKey {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "number") return Number.isNaN(v) ? null : v;
  if (typeof v === "string") return NUMERIC.test(v) ? Number(v) : v.toLowerCase();
  return cellText(v).toLowerCase();
}
