import { strict as assert } from "node:assert";
import { useBrowser, PanelPage } from "./harness";
import { measureTable } from "./table-perf";

// 100,000 rows × 10 columns open and filter to the right rows. How fast (open < 1 s, < 100 ms a keystroke)
// is measured by `npm run bench` (bench/webview.mjs), against baselines in the same run; here the figures are
// only printed.

describe("artifact panel at 100,000 rows (webview)", function () {
  this.timeout(120_000);
  const browser = useBrowser();

  it("opens 100,000 × 10 and each keystroke filters to the matching rows", async () => {
    const p = await PanelPage.open(browser());
    try {
      const r = await measureTable(p);
      const f = (n: number) => n.toFixed(1);
      console.log(`      open ${f(r.openMs)} ms (first rows ${f(r.firstRowsMs)} ms); baseline JSON.parse of the same table ${f(r.jsonParseMs)} ms, innerHTML of 1,000 rows ${f(r.innerHtml1000Ms)} ms`);
      console.log(`      filter per keystroke: median ${f(r.filterMedianMs)} ms, max ${f(r.filterMaxMs)} ms; naive scan median ${f(r.naiveFilterMedianMs)} ms`);
      console.log(`      ${r.keystrokes.map((k) => `"${k.query}" ${f(k.ms)} ms (${k.matched})`).join(", ")}`);
      assert.deepEqual(p.errors, []);
      const byQuery = new Map(r.keystrokes.map((k) => [k.query, k.matched]));
      assert.equal(byQuery.get("city-999"), 100, "city-999 is in 100 of 100,000 rows");
      assert.equal(byQuery.get("zzz"), 0);
    } finally {
      await p.close();
    }
  });
});
