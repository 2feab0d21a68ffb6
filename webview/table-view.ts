import type { Cell, SortDir } from "../src/shared/panel-protocol";
import { toCsv } from "./csv";
import { el } from "./dom";
import { renderInlineInto } from "./markdown";
import { cellText } from "../src/shared/table";
import { TableModel } from "./table-model";
import { VirtualList } from "./virtual-list";

// The table body: search across all cells with "N of M rows", sort by a header click (ascending,
// descending, none), markdown in cells, copy and export as CSV. Plain DOM with absolutely positioned rows
// (virtual-list.ts): component libraries' tables render every row, which is what stalls at 100,000.

const ROW_HEIGHT = 24;
const MIN_COLUMN = 56;
const MAX_COLUMN = 360;
/** Rows measured to size the columns: enough to be representative, few enough to be instant. */
const SAMPLE_ROWS = 200;

export interface TableViewOptions {
  columns: string[];
  total: number;
  search: string;
  sort: { column: number; dir: SortDir } | undefined;
  /** The first row that was in view (restored after a reload once that row has arrived). */
  scrollRow: number;
  onState(patch: { search?: string; sort?: { column: number; dir: SortDir } | undefined; scrollRow?: number }): void;
  onCopy(csv: string, what: string): void;
  onExport(csv: string): void;
}

export class TableView {
  readonly element: HTMLElement;
  private readonly model: TableModel;
  private readonly list: VirtualList;
  private readonly scroller: HTMLElement;
  private readonly count: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly headers: HTMLElement[] = [];
  private readonly searchField: HTMLElement & { value: string; label: string };
  private sized = false;
  private pendingScroll: number;

  constructor(private readonly o: TableViewOptions) {
    this.model = new TableModel(o.columns, o.total);
    this.pendingScroll = o.scrollRow;

    this.searchField = el("vscode-textfield", {
      class: "search",
      placeholder: "Search all cells",
      "aria-label": "Search all cells",
    }) as HTMLElement & { value: string; label: string };
    // The component names its inner <input> from `label` (an attribute on the host would not reach it).
    this.searchField.label = "Search all cells";
    this.searchField.value = o.search;
    this.searchField.addEventListener("input", () => this.search(this.searchField.value));
    this.searchField.addEventListener("keydown", (e) => {
      if ((e as KeyboardEvent).key === "Escape" && this.searchField.value) {
        this.searchField.value = "";
        this.search("");
      }
    });
    this.count = el("span", { class: "count", role: "status", "aria-live": "polite" });
    const copy = el("vscode-button", { secondary: "", class: "copy-csv", title: "Copy the rows shown (searched and sorted) as CSV" }, "Copy CSV");
    copy.addEventListener("click", () => this.copy());
    const exp = el("vscode-button", { secondary: "", class: "export-csv", title: "Save the rows shown (searched and sorted) as a CSV file" }, "Export CSV…");
    exp.addEventListener("click", () => this.o.onExport(this.csv()));
    const tools = el("div", { class: "table-tools" }, this.searchField, this.count, el("span", { class: "spacer" }), copy, exp);

    const header = el("div", { class: "table-header", role: "row" });
    o.columns.forEach((name, c) => {
      const button = el("button", { class: "sort", type: "button", title: `Sort by ${name}` }, el("span", { class: "label" }, name), el("span", { class: "sort-mark", "aria-hidden": "true" }));
      button.addEventListener("click", () => this.cycleSort(c));
      const cell = el("div", { class: "th", role: "columnheader", "aria-sort": "none" }, button);
      this.headers.push(cell);
      header.appendChild(cell);
    });
    const body = el("div", { class: "table-body", role: "rowgroup" });
    this.empty = el("div", { class: "table-empty", hidden: "" });
    this.scroller = el("div", { class: "table-scroller", role: "table", tabindex: "0", "aria-label": "Table", "aria-colcount": String(o.columns.length) }, header, body, this.empty);
    this.scroller.addEventListener("scroll", () => this.o.onState({ scrollRow: this.list.firstVisible() }), { passive: true });
    this.element = el("div", { class: "table-view" }, tools, this.scroller);

    this.list = new VirtualList({
      scroller: this.scroller,
      body,
      header,
      rowHeight: ROW_HEIGHT,
      createRow: () => this.createRow(),
      fillRow: (row, i) => this.fillRow(row, i),
    });
    if (o.search) this.model.setSearch(o.search);
    if (o.sort) this.model.setSort(o.sort.column, o.sort.dir);
    this.showSort();
    if (o.total === 0) this.sizeColumns();
    this.update(true);
  }

  /** Rows as the host streams them; `start` guards against a chunk arriving twice or out of order. */
  append(start: number, rows: Cell[][]): void {
    if (start !== this.model.loaded) return;
    const before = this.model.length;
    const sortedNow = this.model.sort !== undefined && start + rows.length >= this.model.total;
    this.model.append(rows as unknown[][]);
    if (!this.sized) this.sizeColumns();
    // Appending keeps the rows on screen; the final sort reorders them all.
    this.update(sortedNow || before === 0);
    if (this.pendingScroll > 0 && this.pendingScroll < this.model.length && (this.model.complete || !this.model.sort)) {
      this.list.scrollToRow(this.pendingScroll);
      this.pendingScroll = 0;
    }
  }

  dispose(): void {
    this.list.dispose();
  }

  private search(query: string): void {
    this.model.setSearch(query);
    this.update(true);
    this.o.onState({ search: query });
  }

  private cycleSort(column: number): void {
    const s = this.model.sort;
    const dir: SortDir | undefined = s?.column !== column ? "asc" : s.dir === "asc" ? "desc" : undefined;
    this.model.setSort(column, dir);
    this.showSort();
    this.update(true);
    this.o.onState({ sort: this.model.sort });
  }

  private showSort(): void {
    const s = this.model.sort;
    this.headers.forEach((h, c) => {
      const dir = s?.column === c ? s.dir : undefined;
      h.setAttribute("aria-sort", dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none");
      (h.querySelector(".sort-mark") as HTMLElement).textContent = dir === "asc" ? "▲" : dir === "desc" ? "▼" : "";
    });
  }

  private update(refill: boolean): void {
    const m = this.model;
    if (refill) this.list.reset(m.length);
    else this.list.grow(m.length);
    this.scroller.setAttribute("aria-rowcount", String(m.length + 1));
    const n = (x: number) => x.toLocaleString();
    const rows = (x: number) => `${n(x)} ${x === 1 ? "row" : "rows"}`;
    let text = m.search ? `${n(m.length)} of ${rows(m.loaded)}` : rows(m.loaded);
    if (!m.complete) text += ` (loading ${n(m.total)}…)`;
    this.count.textContent = text;
    this.empty.hidden = m.length > 0 || !m.complete;
    this.empty.textContent = m.total === 0 ? "This table has no rows." : `No rows contain “${this.searchField.value}”.`;
  }

  private createRow(): HTMLElement {
    const row = el("div", { class: "tr", role: "row" });
    for (let c = 0; c < this.o.columns.length; c++) row.appendChild(el("div", { class: "td", role: "cell" }));
    return row;
  }

  private fillRow(row: HTMLElement, position: number): void {
    const values = this.model.rowAt(position);
    row.classList.toggle("odd", position % 2 === 1);
    row.setAttribute("aria-rowindex", String(position + 2));
    const cells = row.children;
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c] as HTMLElement;
      const v = values[c];
      if (typeof v === "string") {
        cell.className = isNumeric(v) ? "td num" : "td";
        renderInlineInto(cell, v);
        cell.title = v.length > 24 ? v : "";
      } else {
        const text = cellText(v);
        cell.className = isNumeric(v) ? "td num" : v !== null && typeof v === "object" ? "td json" : "td";
        cell.textContent = text;
        cell.title = text.length > 24 ? text : "";
      }
    }
  }

  /** Column widths from the header and a sample of rows, measured in the panel's font. */
  private sizeColumns(): void {
    this.sized = true;
    const ctx = document.createElement("canvas").getContext("2d");
    const font = getComputedStyle(this.scroller).font;
    const headerButton = this.headers[0]?.querySelector(".sort");
    const headerFont = headerButton ? getComputedStyle(headerButton).font : font;
    const measure = (s: string, f = font): number => {
      if (!ctx) return s.length * 7;
      ctx.font = f;
      return ctx.measureText(s).width;
    };
    const sample = this.model.rows.slice(0, SAMPLE_ROWS);
    const widths = this.o.columns.map((name, c) => {
      let widest = measure(name, headerFont) + 18; // room for the sort mark
      for (const row of sample) widest = Math.max(widest, measure(cellText(row[c]).slice(0, 80)));
      return Math.round(Math.min(MAX_COLUMN, Math.max(MIN_COLUMN, widest + 20)));
    });
    this.scroller.style.setProperty("--columns", widths.map((w) => `${w}px`).join(" "));
    this.scroller.style.setProperty("--table-width", `${widths.reduce((a, b) => a + b, 0)}px`);
  }

  private csv(): string {
    return toCsv(this.o.columns, this.model.viewRows());
  }

  private copy(): void {
    const n = this.model.length;
    this.o.onCopy(this.csv(), `${n.toLocaleString()} ${n === 1 ? "row" : "rows"} as CSV`);
  }
}

/** A number, or text that reads as one ("1,234.5", "-3", "12%", "4.2e-3"): aligned right, as spreadsheets do. */
const NUMBER_TEXT = /^\s*[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?%?\s*$/;

export function isNumeric(v: unknown): boolean {
  return typeof v === "number" || typeof v === "bigint" || (typeof v === "string" && NUMBER_TEXT.test(v));
}
