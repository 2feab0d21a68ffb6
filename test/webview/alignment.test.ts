import { strict as assert } from "node:assert";
import { artifact, useBrowser, PanelPage } from "./harness";

// Markdown renders as written under the panel's CSP (no inline styles), and table cells align as
// spreadsheets align them: numbers right, text left, cell by cell in a mixed column. Headless Chromium.

const violations = (p: PanelPage) => p.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
const aligns = (p: PanelPage, selector: string) => p.page.locator(selector).evaluateAll((els) => els.map((e) => getComputedStyle(e).textAlign));

describe("alignment under the CSP (webview)", function () {
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

  it("right-aligns a `| ---: |` markdown column, centres `:---:`, with no CSP violation", async () => {
    await p.show(artifact("markdown", "| item | qty | note |\n| :--- | ---: | :---: |\n| apples | 12 | fresh |\n| pears | 3 | ripe |\n"));
    await p.page.locator(".markdown-body table").waitFor();
    assert.deepEqual(await aligns(p, ".markdown-body th"), ["left", "right", "center"]);
    assert.deepEqual(await aligns(p, ".markdown-body tr:nth-child(1) td"), ["left", "right", "center"]);
    assert.equal(await p.page.locator(".markdown-body [style]").count(), 0, "no inline style reaches the DOM");
    assert.deepEqual(await violations(p), [], "the CSP blocked nothing");
  });

  it("aligns numbers right and text left in a table, numbers written as text included, in a mixed column", async () => {
    await p.show(artifact("table", [
      { name: "Tokyo", mixed: 37.1, text: "12.5" },
      { name: "Delhi", mixed: "n/a", text: "1,234" },
      { name: "Paris", mixed: "-3%", text: "v2" },
    ]));
    await p.page.locator(".table-body .tr").first().waitFor();
    // "start" is left in a left-to-right panel.
    const rows = await p.page.locator(".table-body .tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll(".td")].map((td) => getComputedStyle(td).textAlign.replace("start", "left"))));
    assert.deepEqual(rows, [
      ["left", "right", "right"],
      ["left", "left", "right"],
      ["left", "right", "left"],
    ]);
    assert.deepEqual(await violations(p), []);
  });
});
