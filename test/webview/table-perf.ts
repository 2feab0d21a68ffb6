import { CHUNK_ROWS, FIRST_ROWS } from "../../src/extension/panels/artifact-content";
import type { PanelPage } from "./harness";

// The big-table measurement, shared by the webview test and bench/webview.mjs. Everything is timed inside
// the page with performance.now(): the data is made there first (not timed), then posted as the host
// pages it (FIRST_ROWS, then CHUNK_ROWS at a time) through window.postMessage, so structured cloning is
// included as in VS Code. Baselines are measured in the same page on the same data.

export interface TablePerf {
  rows: number;
  columns: number;
  /** From the first message posted to the first rows on screen (drawn while later chunks still arrive). */
  firstRowsMs: number;
  /** From the first message posted to every row indexed and a frame drawn with "N rows". */
  openMs: number;
  /** Baseline: JSON.parse of the same table as JSON (list of records), the least any viewer does. */
  jsonParseMs: number;
  /** Baseline: one innerHTML of a plain <table> with the first 1,000 rows, laid out. */
  innerHtml1000Ms: number;
  /** Per keystroke: query → rows filtered, view and count updated, layout done. */
  keystrokes: { query: string; ms: number; matched: number }[];
  filterMedianMs: number;
  filterMaxMs: number;
  /** Baseline: the same keystrokes as a plain scan (every cell to a lowercase string, each time). */
  naiveFilterMedianMs: number;
}

/** Typing "word1" then "7", deleting back, and a new query: narrowing, widening and fresh scans. */
const QUERIES = ["w", "wo", "wor", "word", "word1", "word17", "word1", "word", "city-9", "city-99", "city-999", "zzz", ""];

export async function measureTable(p: PanelPage, rows = 100_000, columns = 10): Promise<TablePerf> {
  return p.page.evaluate(
    async ({ rows, columns, first, chunk, queries }) => {
      const now = () => performance.now();
      const frame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const cols = Array.from({ length: columns }, (_, c) => `col_${c}`);
      const cell = (i: number, c: number): unknown => {
        switch (c % 5) {
          case 0:
            return i;
          case 1:
            return `word${i % 997} item ${i}`;
          case 2:
            return `city-${i % 1000}`;
          case 3:
            return Math.round(i * 1.37) / 100;
          default:
            return c === 4 ? i % 3 === 0 : `tag ${(i * 7) % 101}`;
        }
      };
      const data = Array.from({ length: rows }, (_, i) => cols.map((_, c) => cell(i, c)));

      // Baselines.
      const json = JSON.stringify(data.map((r) => Object.fromEntries(cols.map((k, c) => [k, r[c]]))));
      let t = now();
      JSON.parse(json);
      const jsonParseMs = now() - t;
      const holder = document.createElement("div");
      document.body.append(holder);
      const esc = (s: unknown) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
      const html = `<table>${data
        .slice(0, 1000)
        .map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`)
        .join("")}</table>`;
      t = now();
      holder.innerHTML = html;
      void holder.offsetHeight;
      const innerHtml1000Ms = now() - t;
      holder.remove();

      // Open: post as the host does, then a probe message that is handled right after the last chunk.
      const probe = new Promise<void>((resolve) =>
        window.addEventListener("message", function onProbe(e) {
          if ((e.data as { type?: string }).type === "probe") {
            window.removeEventListener("message", onProbe);
            resolve();
          }
        }),
      );
      const header = { id: "big", type: "table", created: "2025-01-01T00:00:00Z", updated: "2025-01-01T00:00:00Z", versions: [], following: false };
      const openStart = now();
      let firstRowsMs = 0;
      const firstRows = new Promise<void>((resolve) => {
        const check = () => (document.querySelector(".tr:not([hidden])") ? resolve() : requestAnimationFrame(check));
        requestAnimationFrame(check);
      }).then(() => (firstRowsMs = now() - openStart));
      window.postMessage({ type: "show", load: 1, artifact: header, body: { type: "table", columns: cols, total: rows } }, "*");
      // The host awaits each post before the next: one chunk a task here too.
      for (let start = 0, size = first; start < rows; start += size, size = chunk) {
        window.postMessage({ type: "rows", load: 1, start, rows: data.slice(start, start + size), done: start + size >= rows }, "*");
        await new Promise((r) => setTimeout(r, 0));
      }
      window.postMessage({ type: "probe" }, "*");
      await probe;
      await frame();
      const openMs = now() - openStart;
      await firstRows;
      const count = document.querySelector(".count")?.textContent;
      if (count !== `${rows.toLocaleString()} rows`) throw new Error(`the table says "${count}" after opening`);

      // Keystrokes, as the text field delivers them.
      const field = document.querySelector(".search") as HTMLElement & { shadowRoot: ShadowRoot };
      const input = field.shadowRoot.querySelector("input") as HTMLInputElement;
      const scroller = document.querySelector(".table-scroller") as HTMLElement;
      const keystrokes: { query: string; ms: number; matched: number }[] = [];
      for (const query of queries) {
        await frame();
        t = now();
        input.value = query;
        input.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
        void scroller.querySelector(".tr")?.getBoundingClientRect();
        const ms = now() - t;
        const text = document.querySelector(".count")?.textContent ?? "";
        keystrokes.push({ query, ms, matched: Number((text.split(" of ")[0] ?? "").replace(/\D/g, "")) });
      }
      const naive: number[] = [];
      for (const query of queries) {
        const q = query.toLowerCase();
        t = now();
        data.filter((r) => r.some((v) => String(v).toLowerCase().includes(q)));
        naive.push(now() - t);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const typed = keystrokes.map((k) => k.ms);
      return {
        rows,
        columns,
        firstRowsMs,
        openMs,
        jsonParseMs,
        innerHtml1000Ms,
        keystrokes,
        filterMedianMs: median(typed),
        filterMaxMs: Math.max(...typed),
        naiveFilterMedianMs: median(naive),
      };
    },
    { rows, columns, first: FIRST_ROWS, chunk: CHUNK_ROWS, queries: QUERIES },
  );
}
