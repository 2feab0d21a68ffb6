import { strict as assert } from "node:assert";
import { artifact, CITIES, useBrowser, PanelPage, PNG_BASE64 } from "./harness";

// The artifact panel in headless Chromium: every type renders, links and runs go through the host,
// the Rendered / Raw toggle, versions, state that survives a reload, and themes.

describe("artifact panel (webview)", function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let p: PanelPage;
  beforeEach(async () => {
    p = await PanelPage.open(browser());
  });
  afterEach(async () => {
    assert.deepEqual(p.errors, [], "no script errors in the page");
    await p.close();
  });

  it("says ready once, and acquires the VS Code API once", async () => {
    assert.deepEqual(await p.postedOf("ready"), [{ type: "ready" }]);
    assert.equal(await p.page.evaluate(() => (window as unknown as { __acquired: number }).__acquired), 1);
  });

  it("shows key, type, version n of m, created time, run links and the description as markdown", async () => {
    const a = artifact("markdown", "# Report", {
      key: "weekly-report",
      description: "Numbers for **week 9**",
      flowRunId: "f1f1f1f1-0000-0000-0000-000000000000",
      taskRunId: "t2t2t2t2-0000-0000-0000-000000000000",
    });
    await p.show(a, {
      versions: [{ id: "newer", created: "2025-03-02T00:00:00Z" }, { id: a.id, created: a.created }, { id: "older", created: "2025-02-01T00:00:00Z" }],
      following: false,
      flowRun: { id: a.flowRunId!, name: "brave-otter" },
      taskRun: { id: a.taskRunId!, name: "build-report-0" },
    });
    assert.equal(await p.text("h1"), "weekly-report");
    assert.equal(await p.text(".type-badge"), "markdown");
    assert.equal(await p.text(".version-of"), "2 of 3");
    assert.equal(await p.page.locator(".description strong").textContent(), "week 9");
    assert.equal(await p.page.getAttribute(".meta time", "datetime"), a.created);
    assert.equal(await p.page.locator(".go-latest").count(), 1, "an older version offers the latest");

    await p.page.click("text=brave-otter");
    await p.page.click("text=build-report-0");
    await p.page.selectOption(".version-select", "older");
    await p.page.click(".go-latest");
    assert.deepEqual(await p.postedOf("revealRun"), [
      { type: "revealRun", flowRunId: a.flowRunId },
      { type: "revealRun", flowRunId: a.flowRunId, taskRunId: a.taskRunId },
    ]);
    assert.deepEqual(await p.postedOf("selectVersion"), [
      { type: "selectVersion", id: "older" },
      { type: "selectVersion", id: "newer" },
    ]);
  });

  it("says when it follows the key's latest version, and takes new versions lists live", async () => {
    const a = artifact("markdown", "v2", { key: "k" });
    await p.show(a, { versions: [{ id: a.id, created: a.created }, { id: "v1", created: "2025-01-01T00:00:00Z" }], following: true });
    assert.equal(await p.text(".version-of"), "2 of 2");
    assert.equal(await p.text(".following"), "Following latest");
    await p.send({ type: "versions", load: 1, versions: [{ id: a.id, created: a.created }, { id: "v1", created: a.created }, { id: "v0", created: a.created }], following: true });
    assert.equal(await p.text(".version-of"), "3 of 3");
  });

  it("renders markdown with markdown-it, and posts link clicks to the host instead of navigating", async () => {
    await p.show(artifact("markdown", "# Title\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://example.com/docs) and https://example.org/bare\n\n`code`"));
    assert.equal(await p.text(".markdown-body h1"), "Title");
    assert.equal(await p.page.locator(".markdown-body li").count(), 2);
    assert.equal(await p.page.locator(".markdown-body table td").count(), 2);
    assert.equal(await p.page.locator(".markdown-body a[href]").count(), 0, "no link has an href the webview could follow");
    await p.page.click("text=docs");
    await p.page.click("text=https://example.org/bare");
    assert.deepEqual(await p.postedOf("openLink"), [
      { type: "openLink", href: "https://example.com/docs" },
      { type: "openLink", href: "https://example.org/bare" },
    ]);
    assert.equal(p.page.url(), "https://flowline.test/panel.html");
  });

  it("renders a link artifact from {url, text}, to the web or to a workspace file, opening through the host", async () => {
    await p.show(artifact("link", { url: "https://prefect.io/docs", text: "Prefect docs" }));
    assert.equal(await p.text(".link-text"), "Prefect docs");
    assert.equal(await p.text(".link-url"), "https://prefect.io/docs");
    await p.page.click(".link-text");
    await p.show(artifact("link", { url: "reports/out.csv", text: "the report" }), {}, 2);
    assert.equal(await p.text(".link-text"), "the report");
    await p.page.focus(".link-text");
    await p.page.keyboard.press("Enter");
    assert.deepEqual(await p.postedOf("openLink"), [
      { type: "openLink", href: "https://prefect.io/docs" },
      { type: "openLink", href: "reports/out.csv" },
    ]);
  });

  it("shows a link no editor opens (s3:, gs:, ...) as copyable text labelled with its scheme, never as a link", async () => {
    await p.show(artifact("link", { url: "s3://bucket/reports/q3.csv", text: "Q3 export" }));
    assert.equal(await p.text(".link-scheme"), "s3 link");
    assert.equal(await p.text(".link-text"), "Q3 export");
    assert.equal(await p.page.locator(".link-body a, .link-body [data-href]").count(), 0, "nothing to click open");
    await p.page.click(".copy-link");
    assert.deepEqual(await p.postedOf("copy"), [{ type: "copy", text: "s3://bucket/reports/q3.csv", what: "the link" }]);
    assert.deepEqual(await p.postedOf("openLink"), []);
  });

  it("shows a progress bar that moves when the host pushes an update", async () => {
    await p.show(artifact("progress", 25));
    assert.equal(await p.page.getAttribute(".progress", "aria-valuenow"), "25");
    assert.equal(await p.text(".progress-value"), "25%");
    await p.send({ type: "progress", load: 1, value: 80, updated: "2025-03-01T10:00:05Z" });
    assert.equal(await p.page.getAttribute(".progress", "aria-valuenow"), "80");
    assert.equal(await p.page.evaluate(() => (document.querySelector(".progress-fill") as HTMLElement).style.width), "80%");
    // An update for an older load (the panel moved on) is ignored.
    await p.send({ type: "progress", load: 0, value: 10, updated: "2025-03-01T10:00:06Z" });
    assert.equal(await p.page.getAttribute(".progress", "aria-valuenow"), "80");
  });

  it("shows data: and workspace images within the CSP, keeps https ones for a click, and refuses the rest", async () => {
    const loaded = async () =>
      p.page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>(".image-body img");
        return img !== null && img.complete && img.naturalWidth === 2;
      });
    // Remote: a placeholder until "Load remote images" (remote-images.test.ts follows the click).
    await p.show(artifact("image", "https://images.test/chart.png"));
    assert.match(await p.text(".image-body .remote-image"), /from images\.test not loaded/);
    await p.show(artifact("image", `data:image/png;base64,${PNG_BASE64}`), { resolveImage: (s) => ({ src: s }) }, 2);
    await loaded();
    // A workspace file, as the host serves it through asWebviewUri (an https URI under the webview's origin).
    await p.show(artifact("image", "charts/out.png"), { resolveImage: () => ({ src: "https://flowline.test/workspace/charts/out.png", local: true }) }, 3);
    await loaded();
    await p.show(artifact("image", "http://images.test/x.png"), { resolveImage: () => ({ error: "Images over plain http are not loaded; use https" }) }, 4);
    assert.equal(await p.page.locator(".image-body img").count(), 0);
    assert.match(await p.text(".image-body .notice"), /plain http/);
    // Even a host mistake cannot make the webview load a script URL as an image.
    await p.show(artifact("image", "javascript:alert(1)"), { resolveImage: (s) => ({ src: s }) }, 5);
    assert.equal(await p.page.locator(".image-body img").count(), 0);
    assert.deepEqual(await p.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
  });

  it("toggles Rendered / Raw: markdown source, pretty JSON, and a copy button", async () => {
    await p.show(artifact("markdown", "# Hi\n\n*there*"));
    await p.page.click(".mode-raw");
    assert.equal(await p.text("pre.raw"), "# Hi\n\n*there*");
    assert.equal(await p.page.isVisible(".markdown-body"), false);
    await p.page.click(".copy-raw");
    assert.deepEqual(await p.postedOf("copy"), [{ type: "copy", text: "# Hi\n\n*there*", what: "the markdown source" }]);
    await p.page.click(".mode-rendered");
    assert.equal(await p.page.isVisible(".markdown-body"), true);

    await p.show(artifact("table", CITIES.slice(0, 2)), {}, 2);
    await p.page.click(".mode-raw");
    assert.deepEqual(JSON.parse(await p.text("pre.raw")), CITIES.slice(0, 2));
    assert.match(await p.text("pre.raw"), /\n  \{\n    "city": "Tokyo"/, "pretty-printed");
    assert.equal((await p.state()).mode, "raw");
  });

  it("asks the host for a large table's raw JSON only when Raw is chosen", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ n: i, text: `row ${i}` }));
    await p.show(artifact("table", rows));
    assert.deepEqual(await p.postedOf("requestRaw"), []);
    await p.page.click(".mode-raw");
    await p.waitForPosted("requestRaw");
    assert.deepEqual(await p.postedOf("requestRaw"), [{ type: "requestRaw", load: 1 }]);
    const text = JSON.stringify(rows, null, 2);
    await p.send({ type: "raw", load: 1, text });
    // 12,002 lines: virtualized, only those in view are in the DOM, and Copy copies all of them.
    await p.page.waitForSelector(".raw-line");
    assert.ok((await p.page.locator(".raw-line:not([hidden])").count()) < 200);
    await p.page.click(".copy-raw");
    const copy = await p.postedOf("copy");
    assert.equal(copy[0].text, text);
  });

  it("restores mode, search and sort from its saved state after a reload", async () => {
    const a = artifact("table", CITIES, { key: "largest-cities" });
    await p.show(a);
    await p.search("india");
    await p.page.click(".th:nth-child(3) .sort");
    const saved = await p.state();
    assert.deepEqual({ id: saved.artifactId, key: saved.key, search: saved.search, sort: saved.sort }, { id: a.id, key: "largest-cities", search: "india", sort: { column: 2, dir: "asc" } });
    await p.close();

    p = await PanelPage.open(browser(), { state: saved });
    await p.show(a);
    assert.equal(await p.page.inputValue(".search input"), "india");
    assert.equal(await p.text(".count"), "2 of 8 rows");
    assert.deepEqual((await p.table()).rows.map((r) => r[0]), ["Mumbai", "Delhi"]);
    assert.equal(await p.page.getAttribute(".th:nth-child(3)", "aria-sort"), "ascending");
  });

  it("says so when the artifact was deleted", async () => {
    await p.show(artifact("markdown", "x"));
    await p.send({ type: "gone", message: "This artifact was deleted." });
    assert.equal(await p.text(".gone .notice"), "This artifact was deleted.");
  });

  it("shows data that does not fit its type, with a reason and the raw data", async () => {
    await p.show(artifact("table", { a: 1 }));
    assert.match(await p.text(".invalid-body .notice"), /Column 'a' of this table is a number, not a list/);
    await p.page.click(".mode-raw");
    assert.deepEqual(JSON.parse(await p.text("pre.raw")), { a: 1 });
  });
});

describe("artifact panel themes", function () {
  this.timeout(60_000);
  const browser = useBrowser();

  const colours = async (p: PanelPage) =>
    p.page.evaluate(() => {
      const css = (sel: string) => getComputedStyle(document.querySelector(sel) as Element);
      return {
        text: css("body").color,
        background: css("body").backgroundColor,
        headerBorder: css(".th").borderRightColor,
        rowBorder: css(".tr").borderBottomColor,
        scrollerBorder: css(".table-scroller").borderTopColor,
      };
    });

  it("follows the light and dark theme variables", async () => {
    for (const [theme, text, background] of [
      ["light", "rgb(59, 59, 59)", "rgb(255, 255, 255)"],
      ["dark", "rgb(204, 204, 204)", "rgb(31, 31, 31)"],
    ] as const) {
      const p = await PanelPage.open(browser(), { theme });
      await p.show(artifact("table", CITIES));
      const c = await colours(p);
      assert.equal(c.text, text, theme);
      assert.equal(c.background, background, theme);
      await p.close();
    }
  });

  it("draws high-contrast borders in the contrast border colour", async () => {
    const p = await PanelPage.open(browser(), { theme: "high-contrast" });
    await p.show(artifact("table", CITIES));
    const c = await colours(p);
    const contrast = "rgb(111, 195, 223)"; // --vscode-contrastBorder #6fc3df
    assert.deepEqual({ header: c.headerBorder, row: c.rowBorder, scroller: c.scrollerBorder }, { header: contrast, row: contrast, scroller: contrast });
    // Keyboard focus is drawn in the focus border colour.
    await p.page.focus(".th .sort");
    await p.page.keyboard.press("Tab");
    await p.page.keyboard.press("Shift+Tab");
    const outline = await p.page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineColor);
    assert.equal(outline, "rgb(243, 133, 24)");
    await p.close();
  });
});
