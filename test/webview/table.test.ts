import { strict as assert } from "node:assert";
import { artifact, CITIES, useBrowser, PanelPage } from "./harness";

// Tables in the panel: every stored shape the right way round, search with "N of M rows", sorting,
// markdown in cells, copy and export as CSV, and rows streamed in chunks.

const FIRST = ["Tokyo", "Japan", "37.1", "1457"];
const HEADERS = ["city", "country", "population_millions", "founded"];

describe("artifact panel tables (webview)", function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let p: PanelPage;
  beforeEach(async () => {
    p = await PanelPage.open(browser());
  });
  afterEach(async () => {
    assert.deepEqual(p.errors, []);
    await p.close();
  });

  it("shows every stored shape as rows under headers, never transposed", async () => {
    const columns = Object.fromEntries(HEADERS.map((h) => [h, CITIES.map((c) => c[h as keyof typeof c])]));
    const lists = CITIES.map((c) => Object.values(c));
    const shapes: [string, unknown, string[]][] = [
      ["list of records", CITIES, HEADERS],
      ["record of columns", columns, HEADERS],
      ["list of rows with headers", { headers: HEADERS, rows: lists }, HEADERS],
      ["normalised {columns, rows}", { columns: HEADERS, rows: lists }, HEADERS],
      ["list of rows", lists, ["Column 1", "Column 2", "Column 3", "Column 4"]],
    ];
    let load = 0;
    for (const [name, data, headers] of shapes) {
      await p.show(artifact("table", data), {}, ++load);
      const t = await p.table();
      assert.deepEqual(t.headers, headers, name);
      assert.equal(t.rows.length, 8, name);
      assert.deepEqual(t.rows[0], FIRST, name);
      assert.deepEqual(t.rows[7], ["Dublin", "Ireland", "1.3", "841"], name);
      assert.equal(await p.text(".count"), "8 rows", name);
    }
  });

  it("searches all cells: 'Tokyo' is 1 of 8 rows, case-insensitively, and says when nothing matches", async () => {
    await p.show(artifact("table", CITIES));
    await p.search("Tokyo");
    assert.equal(await p.text(".count"), "1 of 8 rows");
    assert.deepEqual((await p.table()).rows, [FIRST]);
    await p.search("INDIA");
    assert.equal(await p.text(".count"), "2 of 8 rows");
    await p.search("century");
    assert.deepEqual((await p.table()).rows.map((r) => r[0]), ["Delhi"]);
    await p.search("atlantis");
    assert.equal(await p.text(".count"), "0 of 8 rows");
    assert.match(await p.text(".table-empty"), /No rows contain “atlantis”/);
    await p.page.locator(".search input").press("Escape");
    assert.equal(await p.text(".count"), "8 rows");
    assert.equal((await p.state()).search, "");
  });

  it("does not match across two cells", async () => {
    await p.show(artifact("table", [{ a: "ab", b: "cd" }]));
    await p.search("bc");
    assert.equal(await p.text(".count"), "0 of 1 row");
  });

  it("sorts by a header click: ascending, descending, then back to the data's order; numbers numerically", async () => {
    await p.show(artifact("table", CITIES));
    const col = async (c: number) => (await p.table()).rows.map((r) => r[c]);
    const pop = ".th:nth-child(3)";
    await p.page.click(`${pop} .sort`);
    assert.deepEqual(await col(2), ["1.3", "21.7", "22.3", "22.6", "22.8", "29.9", "33.8", "37.1"]);
    assert.equal(await p.page.getAttribute(pop, "aria-sort"), "ascending");
    await p.page.click(`${pop} .sort`);
    assert.deepEqual(await col(2), ["37.1", "33.8", "29.9", "22.8", "22.6", "22.3", "21.7", "1.3"]);
    assert.equal(await p.page.getAttribute(pop, "aria-sort"), "descending");
    await p.page.click(`${pop} .sort`);
    assert.deepEqual(await col(0), CITIES.map((c) => c.city));
    assert.equal(await p.page.getAttribute(pop, "aria-sort"), "none");
    // A column mixing numbers and text: numbers first, in numeric order (841 before 1325), then text.
    await p.page.click(".th:nth-child(4) .sort");
    assert.deepEqual(await col(3), ["751", "841", "969", "1325", "1457", "1507", "1554", "6th century BC"]);
    // Sorting keeps the search, and the search keeps the sort.
    await p.search("india");
    assert.deepEqual(await col(0), ["Mumbai", "Delhi"]);
  });

  it("sorts numeric strings as numbers and puts empty cells last either way", async () => {
    await p.show(artifact("table", { n: ["10", "9", null, "100", "-1"] }));
    await p.page.click(".th .sort");
    assert.deepEqual((await p.table()).rows.map((r) => r[0]), ["-1", "9", "10", "100", ""]);
    await p.page.click(".th .sort");
    assert.deepEqual((await p.table()).rows.map((r) => r[0]), ["100", "10", "9", "-1", ""]);
  });

  it("renders markdown in cells, safely, and shows nested values as JSON", async () => {
    await p.show(artifact("table", [{ name: "**bold** and `code`", link: "[docs](https://example.com)", raw: "<b>not html</b>", nested: { a: [1, 2] } }]));
    const cell = (c: number) => p.page.locator(`.tr .td:nth-child(${c})`);
    assert.equal(await cell(1).locator("strong").textContent(), "bold");
    assert.equal(await cell(1).locator("code").textContent(), "code");
    assert.equal(await cell(2).locator("a").getAttribute("data-href"), "https://example.com");
    assert.equal(await cell(3).locator("b").count(), 0);
    assert.equal(await cell(3).textContent(), "<b>not html</b>");
    assert.equal(await cell(4).textContent(), '{"a":[1,2]}');
    await cell(2).locator("a").click();
    assert.deepEqual(await p.postedOf("openLink"), [{ type: "openLink", href: "https://example.com" }]);
  });

  it("copies and exports the rows shown as CSV, through the host", async () => {
    await p.show(artifact("table", [...CITIES, { city: 'Quote "q", comma', country: "Line\nbreak", population_millions: null, founded: 1 }], { key: "largest-cities" }));
    await p.search("india");
    await p.page.click(".copy-csv");
    const [copy] = await p.postedOf("copy");
    assert.equal(copy.text, "city,country,population_millions,founded\r\nDelhi,India,33.8,6th century BC\r\nMumbai,India,21.7,1507\r\n");
    assert.equal(copy.what, "2 rows as CSV");
    await p.search("");
    await p.page.click(".export-csv");
    const [exp] = await p.postedOf("exportCsv");
    assert.equal(exp.fileName, "largest-cities.csv");
    assert.ok(exp.csv.endsWith('"Quote ""q"", comma","Line\nbreak",,1\r\n'), exp.csv);
    assert.equal(exp.csv.split("\r\n").length, 11);
  });

  it("renders rows as chunks arrive, and drops chunks of a version it left", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => [i, `r${i}`]);
    await p.send({ type: "show", load: 7, artifact: { id: "a", type: "table", created: "2025-01-01T00:00:00Z", updated: "2025-01-01T00:00:00Z", versions: [], following: false }, body: { type: "table", columns: ["n", "name"], total: 2500 } });
    await p.send({ type: "rows", load: 7, start: 0, rows: rows.slice(0, 1000), done: false });
    assert.equal(await p.text(".count"), "1,000 rows (loading 2,500…)");
    assert.equal((await p.table()).rows[0][1], "r0");
    await p.send({ type: "rows", load: 6, start: 1000, rows: [[-1, "stale"]], done: true });
    await p.send({ type: "rows", load: 7, start: 0, rows: rows.slice(0, 1000), done: false }); // a repeat is ignored
    await p.send({ type: "rows", load: 7, start: 1000, rows: rows.slice(1000), done: true });
    assert.equal(await p.text(".count"), "2,500 rows");
    await p.search("stale");
    assert.equal(await p.text(".count"), "0 of 2,500 rows");
  });

  it("keeps only the rows in view in the DOM, scrolls to the end, and comes back to the same row after a reload", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ n: i, label: `row ${i}` }));
    await p.show(artifact("table", rows));
    assert.ok((await p.page.locator(".tr:not([hidden])").count()) < 80);
    await p.page.evaluate(() => {
      const s = document.querySelector(".table-scroller") as HTMLElement;
      s.scrollTop = s.scrollHeight;
    });
    await p.page.waitForFunction(() => [...document.querySelectorAll(".tr:not([hidden])")].some((r) => r.textContent?.includes("row 19999")));
    const last = await p.page.evaluate(() => {
      const s = document.querySelector(".table-scroller") as HTMLElement;
      const row = [...document.querySelectorAll<HTMLElement>(".tr:not([hidden])")].find((r) => r.textContent?.includes("row 19999")) as HTMLElement;
      return { rowBottom: row.getBoundingClientRect().bottom, scrollerBottom: s.getBoundingClientRect().bottom };
    });
    assert.ok(last.rowBottom <= last.scrollerBottom + 1, "the last row is fully in view");

    // The row at the top is saved, and a reloaded panel scrolls back to it once that row has arrived.
    await p.page.evaluate(() => {
      const s = document.querySelector(".table-scroller") as HTMLElement;
      const header = (document.querySelector(".table-header") as HTMLElement).offsetHeight;
      s.scrollTop = (document.querySelector(".table-body") as HTMLElement).offsetTop - header + 5000 * 24;
    });
    await p.page.waitForTimeout(100);
    const saved = await p.state();
    assert.equal(saved.scrollRow, 5000);
    const a = artifact("table", rows);
    await p.close();
    p = await PanelPage.open(browser(), { state: { ...saved, artifactId: a.id } });
    await p.show(a);
    const top = await p.page.evaluate(() => {
      const header = (document.querySelector(".table-header") as HTMLElement).getBoundingClientRect();
      return document.elementFromPoint(header.left + 10, header.bottom + 2)?.closest(".tr")?.textContent;
    });
    assert.equal(top, "5000row 5000");
  });

  it("scrolls a million rows end to end, past the browser's height limit", async () => {
    const seen = await p.page.evaluate(async () => {
      const n = 1_000_000;
      const artifact = { id: "m", type: "table", created: "2025-01-01T00:00:00Z", updated: "2025-01-01T00:00:00Z", versions: [], following: false };
      window.postMessage({ type: "show", load: 1, artifact, body: { type: "table", columns: ["n"], total: n } }, "*");
      window.postMessage({ type: "rows", load: 1, start: 0, rows: Array.from({ length: n }, (_, i) => [i]), done: true }, "*");
      while (document.querySelector(".count")?.textContent !== "1,000,000 rows") await new Promise((r) => setTimeout(r, 50));
      const s = document.querySelector(".table-scroller") as HTMLElement;
      const header = document.querySelector(".table-header") as HTMLElement;
      const firstShown = async (fraction: number) => {
        s.scrollTop = (s.scrollHeight - s.clientHeight) * fraction;
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const box = header.getBoundingClientRect();
        return Number(document.elementFromPoint(box.left + 10, box.bottom + 2)?.closest(".tr")?.textContent);
      };
      const lastShown = () => {
        const box = s.getBoundingClientRect();
        return Number(document.elementFromPoint(box.left + 10, box.bottom - 4)?.closest(".tr")?.textContent);
      };
      const middle = await firstShown(0.5);
      await firstShown(1);
      return { height: s.scrollHeight, middle, last: lastShown() };
    });
    assert.ok(seen.height < 9_000_000, `the body is capped (${seen.height} px)`);
    assert.ok(Math.abs(seen.middle - 500_000) < 100, `half way down shows row ${seen.middle}`);
    assert.equal(seen.last, 999_999);
  });
});
