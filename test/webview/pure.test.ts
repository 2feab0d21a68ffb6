import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { linkData, prepareArtifact, rowMessages } from "../../src/extension/panels/artifact-content";
import { contentSecurityPolicy, panelHtml } from "../../src/extension/panels/html";
import { resolveImage, resolveLink } from "../../src/extension/panels/links";
import { toCsv } from "../../webview/csv";
import { cellText, normalizeTable } from "../../src/shared/table";
import { TableModel } from "../../webview/table-model";
import { artifact } from "./harness";

// The panel's logic that needs no browser: table shapes, search and sort, CSV, link and image checks,
// paging, and the HTML shell's CSP.

describe("normalizeTable", () => {
  const rows = [
    ["Tokyo", 37.1],
    ["Dublin", 1.3],
  ];
  it("keeps a list of records as rows, columns in first-seen order, missing cells empty", () => {
    assert.deepEqual(normalizeTable([{ a: 1, b: 2 }, { b: 3, c: 4 }]), { columns: ["a", "b", "c"], rows: [[1, 2, null], [null, 3, 4]] });
  });
  it("transposes a record of columns to rows (ragged columns padded)", () => {
    assert.deepEqual(normalizeTable({ city: ["Tokyo", "Dublin"], pop: [37.1] }), { columns: ["city", "pop"], rows: [["Tokyo", 37.1], ["Dublin", null]] });
  });
  it("never transposes a list of lists: each inner list is a row", () => {
    assert.deepEqual(normalizeTable(rows), { columns: ["Column 1", "Column 2"], rows });
  });
  it("takes headers with rows, under either name, and numbers columns past the headers", () => {
    assert.deepEqual(normalizeTable({ headers: ["city", "pop"], rows }), { columns: ["city", "pop"], rows });
    assert.deepEqual(normalizeTable({ columns: ["city", "pop"], rows }), { columns: ["city", "pop"], rows });
    assert.deepEqual(normalizeTable({ headers: ["city"], rows: [["Tokyo", 37.1]] }).columns, ["city", "Column 2"]);
  });
  it("reads an empty table, and the {columns, rows} the engine stores as it is", () => {
    assert.deepEqual(normalizeTable([]), { columns: [], rows: [] });
    assert.deepEqual(normalizeTable({ columns: ["a", "b"], rows: [[1, null]] }), { columns: ["a", "b"], rows: [[1, null]] });
  });
  it("does not parse a table out of a string: Flowline never stores one so", () => {
    assert.throws(() => normalizeTable(JSON.stringify([{ a: 1 }])), /This table's data is a string; a table is /);
  });
  it("treats a record of columns named rows/columns as columns when its values are not rows", () => {
    assert.deepEqual(normalizeTable({ rows: [1, 2], columns: ["a", "b"] }), { columns: ["rows", "columns"], rows: [[1, "a"], [2, "b"]] });
  });
  it("says which shapes are accepted for anything else", () => {
    assert.throws(() => normalizeTable(42), /a number; a table is a list of records, a record of columns, a list of rows, or \{headers, rows\}/);
    assert.throws(() => normalizeTable({ a: 1 }), /Column 'a' of this table is a number, not a list/);
    assert.throws(() => normalizeTable([{ a: 1 }, "x"]), /Row 2 of this table is a string/);
  });
  it("shows nested values as JSON and null as empty", () => {
    assert.deepEqual([cellText({ a: [1] }), cellText(null), cellText(true), cellText(1.5)], ['{"a":[1]}', "", "true", "1.5"]);
  });
});

describe("TableModel", () => {
  const model = () => {
    const m = new TableModel(["city", "pop"], 5);
    m.append([["Tokyo", 37.1], ["Delhi", 33.8], ["dublin", "1.3"]]);
    m.append([["Cairo", null], ["Åre", 0.003]]);
    return m;
  };
  const view = (m: TableModel) => Array.from({ length: m.length }, (_, i) => m.rowAt(i)[0]);

  it("searches every cell case-insensitively and narrows incrementally", () => {
    const m = model();
    m.setSearch("D");
    assert.deepEqual(view(m), ["Delhi", "dublin"]);
    m.setSearch("du");
    assert.deepEqual(view(m), ["dublin"]);
    m.setSearch("33.8");
    assert.deepEqual(view(m), ["Delhi"]);
    m.setSearch("");
    assert.equal(m.length, 5);
  });
  it("sorts numbers numerically, text with the locale, empty last; and back to the data's order", () => {
    const m = model();
    m.setSort(1, "asc");
    assert.deepEqual(view(m), ["Åre", "dublin", "Delhi", "Tokyo", "Cairo"]);
    m.setSort(1, "desc");
    assert.deepEqual(view(m), ["Tokyo", "Delhi", "dublin", "Åre", "Cairo"]);
    m.setSort(0, "asc");
    assert.deepEqual(view(m), ["Åre", "Cairo", "Delhi", "dublin", "Tokyo"]);
    m.setSort(0, undefined);
    assert.deepEqual(view(m), ["Tokyo", "Delhi", "dublin", "Cairo", "Åre"]);
  });
  it("keeps the search while rows stream in, and sorts once the last row arrives", () => {
    const m = new TableModel(["n"], 4);
    m.setSort(0, "desc");
    m.setSearch("1");
    m.append([[1], [10]]);
    assert.deepEqual(view(m), [1, 10], "arrival order while loading");
    m.append([[2], [100]]);
    assert.deepEqual(view(m), [100, 10, 1]);
  });
});

describe("toCsv", () => {
  it("quotes commas, quotes and line breaks, and writes nested values as JSON", () => {
    assert.equal(
      toCsv(["a", "b,c"], [["x\"y", "line\nbreak"], [null, { k: 1 }], [3, true]]),
      'a,"b,c"\r\n"x""y","line\nbreak"\r\n,"{""k"":1}"\r\n3,true\r\n',
    );
  });
});

describe("links and images the host lets through", () => {
  let ws: string;
  let outside: string;
  before(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ws-"));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-out-"));
    fs.mkdirSync(path.join(ws, "reports"));
    fs.writeFileSync(path.join(ws, "reports", "out file.csv"), "a\n");
    fs.writeFileSync(path.join(ws, "chart.png"), "png");
    fs.writeFileSync(path.join(outside, "secret.txt"), "x");
    fs.symlinkSync(path.join(outside, "secret.txt"), path.join(ws, "escape.txt"));
  });
  after(() => {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("opens http, https and mailto in the browser", () => {
    assert.deepEqual(resolveLink("https://example.com/a b", [ws]), { kind: "external", url: "https://example.com/a%20b" });
    assert.deepEqual(resolveLink("mailto:team@example.com", [ws]), { kind: "external", url: "mailto:team@example.com" });
  });
  it("opens a file inside the workspace, by relative path, absolute path or file: URL", () => {
    const file = fs.realpathSync(path.join(ws, "reports", "out file.csv"));
    assert.deepEqual(resolveLink("reports/out%20file.csv", [ws]), { kind: "file", path: file });
    assert.deepEqual(resolveLink("reports/out file.csv#L2", [ws]), { kind: "file", path: file });
    assert.deepEqual(resolveLink(`file://${file.replace(/ /g, "%20")}`, [ws]), { kind: "file", path: file });
  });
  it("refuses other schemes, files outside the workspace (symlinks too), and missing files", () => {
    for (const href of ["javascript:alert(1)", " JavaScript:alert(1)", "vscode://settings", "command:workbench.action.quit", "data:text/html,x"]) {
      assert.equal(resolveLink(href, [ws]).kind, "rejected", href);
    }
    assert.match((resolveLink("../" + path.basename(outside) + "/secret.txt", [ws]) as { reason: string }).reason, /outside the workspace/);
    assert.match((resolveLink("escape.txt", [ws]) as { reason: string }).reason, /outside the workspace/);
    assert.match((resolveLink(path.join(outside, "secret.txt"), [ws]) as { reason: string }).reason, /outside the workspace/);
    assert.match((resolveLink("nope.txt", [ws]) as { reason: string }).reason, /not a file in the workspace/);
    assert.match((resolveLink("reports/out.csv", []) as { reason: string }).reason, /no workspace folder/);
  });
  it("shows https and image data: URLs, workspace image files, and nothing else", () => {
    assert.deepEqual(resolveImage("https://x.test/a.png", [ws]), { kind: "url", src: "https://x.test/a.png" });
    assert.equal(resolveImage("data:image/png;base64,iVBORw0KGgo=", [ws]).kind, "url");
    assert.deepEqual(resolveImage("chart.png", [ws]), { kind: "file", path: fs.realpathSync(path.join(ws, "chart.png")) });
    for (const src of ["http://x.test/a.png", "data:image/svg+xml;base64,PHN2Zz4=", "javascript:alert(1)", "reports/out file.csv", "escape.txt"]) {
      assert.equal(resolveImage(src, [ws]).kind, "rejected", src);
    }
  });
});

describe("what the host sends", () => {
  it("reads link data as createLinkArtifact stores it, {url, text}, and no other shape", () => {
    assert.deepEqual(linkData({ url: "https://a.b", text: "A" }), { url: "https://a.b", text: "A" });
    assert.deepEqual(linkData({ url: "https://a.b", text: "" }), { url: "https://a.b" });
    for (const other of [{ link: "https://a.b", link_text: "A" }, "[the docs](https://a.b/docs)", "https://a.b", { url: 3 }, null]) {
      assert.equal(linkData(other), undefined, JSON.stringify(other));
    }
  });
  it("shows progress stored as a number, and says a number in a string is not progress", () => {
    const ctx = { versions: [], following: false, resolveImage: () => ({}) };
    assert.deepEqual(prepareArtifact(artifact("progress", 40), ctx).show.body, { type: "progress", value: 40 });
    assert.deepEqual(prepareArtifact(artifact("progress", "40"), ctx).show.body, { type: "invalid", message: "This progress artifact's data is not a number from 0 to 100." });
  });
  it("pages a table: 1,000 rows first, then 10,000 at a time, the last marked done", () => {
    const rows = Array.from({ length: 25_500 }, (_, i) => [i]);
    const pages = [...rowMessages(rows, 3)].map((m) => [m.start, m.rows.length, m.done, m.load]);
    assert.deepEqual(pages, [[0, 1000, false, 3], [1000, 10000, false, 3], [11000, 10000, false, 3], [21000, 4500, true, 3]]);
    assert.deepEqual([...rowMessages([], 1)].map((m) => [m.start, m.rows.length, m.done]), [[0, 0, true]]);
  });
  it("sends a small table's raw JSON along and keeps a big one's until asked", () => {
    const ctx = { versions: [], following: false, resolveImage: () => ({}) };
    const small = prepareArtifact(artifact("table", [{ a: 1 }]), ctx);
    assert.equal(small.show.raw, JSON.stringify([{ a: 1 }], null, 2));
    const big = prepareArtifact(artifact("table", Array.from({ length: 5000 }, (_, i) => ({ i }))), ctx);
    assert.equal(big.show.raw, undefined);
    assert.equal(JSON.parse(big.rawText()).length, 5000);
    assert.deepEqual(prepareArtifact(artifact("progress", 140), ctx).show.body, { type: "progress", value: 100 });
  });
  it("lets remote images through the CSP only from the origins allowed, each a plain https host", () => {
    const allowed = ["https://images.test", "https://cdn.example.com:8443"];
    const hostile = ["https:", "http://images.test", "https://a.test/path", "https://user@a.test", "https://a.test;script-src", "https://a.test 'unsafe-inline'", "https://*.test", "*", "data:", "https://[::1]"];
    assert.match(contentSecurityPolicy("https://csp.test", "N", [...allowed, ...hostile]), /; img-src https:\/\/csp\.test data: https:\/\/images\.test https:\/\/cdn\.example\.com:8443; font-src/);
  });
  it("builds the HTML shell with a strict CSP: a nonce for script and style, no inline anything", () => {
    assert.equal(
      contentSecurityPolicy("https://csp.test", "N0NCE"),
      "default-src 'none'; script-src 'nonce-N0NCE'; style-src https://csp.test 'nonce-N0NCE'; img-src https://csp.test data:; font-src https://csp.test",
    );
    const html = panelHtml({ cspSource: "https://csp.test", scriptUri: "https://csp.test/main.js", styleUri: "https://csp.test/styles.css", title: 'a"<b>', nonce: "N0NCE" });
    assert.match(html, /<script nonce="N0NCE" src="https:\/\/csp.test\/main.js"><\/script>/);
    assert.match(html, /<title>a&quot;&lt;b&gt;<\/title>/);
    assert.doesNotMatch(html, /<style|\sstyle="|\son\w+=/);
  });
});
