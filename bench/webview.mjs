// Artifacts in the editor, at scale. Prints one JSON line:
//   - the artifact panel with a 100,000 × 10 table in headless Chromium (the built dist/webview): open time
//     and per-keystroke filter time, against baselines in the same page (JSON.parse of the same table,
//     innerHTML of 1,000 plain rows, a naive scan per keystroke);
//   - the host preparing that table (normalise + page), against JSON.parse of it in Node;
//   - the Artifacts tree refreshing over a real store of 100,000 artifacts (1,000 keys × 90 versions and
//     10,000 unkeyed in 2,000 runs), with a small fake of the vscode types, against the store's cheapest
//     key listing and a naive full listing.
// Usage: node bench/webview.mjs [rows=100000] [artifacts=100000]   (after `npm run build`)
import { createRequire } from "node:module";
import { register } from "tsx/cjs/api";
import { median, nowMs } from "./lib.mjs";

const rows = Number(process.argv[2] ?? 100_000);
const artifacts = Number(process.argv[3] ?? 100_000);
// The TypeScript sources themselves (the repository is CommonJS), loaded through tsx's require hook.
register();
const load = createRequire(import.meta.url);
const harness = load("../test/webview/harness.ts");
const { measureTable } = load("../test/webview/table-perf.ts");
const { prepareArtifact, rowMessages } = load("../src/extension/panels/artifact-content.ts");
const fixture = load("../test/webview/store-fixture.ts");
const { fakeVscode } = load("../test/fake-vscode.ts");
const { ArtifactsTreeProvider } = load("../src/extension/artifacts/tree.ts");
const log = (m) => process.stderr.write(`${m}\n`);

// ---- the panel in Chromium ----
log(`webview: ${rows.toLocaleString()} × 10 table in Chromium…`);
const browser = await harness.launchBrowser();
let table;
try {
  const page = await harness.PanelPage.open(browser);
  table = await measureTable(page, rows, 10);
} finally {
  await browser.close();
}

// ---- the host preparing the same table ----
log("webview: host side paging…");
const records = Array.from({ length: rows }, (_, i) => Object.fromEntries(Array.from({ length: 10 }, (_, c) => [`col_${c}`, c % 2 ? `word${i % 997} item ${i}` : i])));
const json = JSON.stringify(records);
const prepareRuns = [];
const parseRuns = [];
for (let r = 0; r < 5; r++) {
  let t = nowMs();
  JSON.parse(json);
  parseRuns.push(nowMs() - t);
  t = nowMs();
  const prepared = prepareArtifact({ id: "a", type: "table", data: records, created: "", updated: "", seq: 1 }, { versions: [], following: false, resolveImage: () => ({}) });
  for (const m of rowMessages(prepared.table.rows, 1)) void m;
  prepareRuns.push(nowMs() - t);
}

// ---- the tree over 100,000 stored artifacts ----
log(`webview: store with ${artifacts.toLocaleString()} artifacts…`);
const keys = 1000;
const unkeyed = Math.round(artifacts / 10);
const events = [];
for (let r = 0; r < 2000; r++) events.push(fixture.flowRunEvent(`run-${r}`, `run-${r}`, "bench", r));
for (let i = 0; i < artifacts; i++) {
  const keyed = i >= unkeyed;
  const type = ["table", "markdown", "link", "progress", "image"][i % 5];
  const data = type === "table" ? [{ i, name: `row ${i}` }] : type === "progress" ? i % 100 : `item ${i}`;
  events.push(fixture.artifactEvent(`art-${i}`, type, data, keyed ? { key: `key-${i % keys}`, flowRunId: `run-${i % 2000}` } : { flowRunId: `run-${i % 2000}` }, i));
}
const fx = await fixture.storeWith(events);
let tree;
try {
  const f = fakeVscode();
  const provider = new ArtifactsTreeProvider(f.vscode, { peek: async () => fx.store });
  const refresh = async () => {
    const root = await provider.getChildren();
    for (const n of root) provider.getTreeItem(n);
    return root;
  };
  const root = await refresh();
  const key = root[0];
  const group = root.at(-1);
  const rootRuns = [];
  const expandedRuns = [];
  const latestRuns = [];
  const allRuns = [];
  for (let r = 0; r < 7; r++) {
    let t = nowMs();
    await refresh();
    rootRuns.push(nowMs() - t);
    t = nowMs();
    await refresh();
    for (const n of await provider.getChildren(key)) provider.getTreeItem(n);
    for (const n of await provider.getChildren(group)) provider.getTreeItem(n);
    expandedRuns.push(nowMs() - t);
    t = nowMs();
    fx.store.listArtifacts({ latestOnly: true, includeData: false });
    latestRuns.push(nowMs() - t);
    if (r < 3) {
      t = nowMs();
      fx.store.listArtifacts({ includeData: false });
      allRuns.push(nowMs() - t);
    }
  }
  provider.dispose();
  tree = {
    treeArtifacts: artifacts,
    treeKeys: root.length - 1,
    treeRefreshMs: median(rootRuns),
    treeRefreshExpandedMs: median(expandedRuns),
    treeBaselineLatestListMs: median(latestRuns),
    treeBaselineFullListMs: median(allRuns),
  };
} finally {
  fx.close();
}

const round = (n) => Math.round(n * 10) / 10;
const out = {
  tableRows: table.rows,
  tableColumns: table.columns,
  openMs: round(table.openMs),
  firstRowsMs: round(table.firstRowsMs),
  openBaselineJsonParseMs: round(table.jsonParseMs),
  openBaselineInnerHtml1000Ms: round(table.innerHtml1000Ms),
  filterMedianMs: round(table.filterMedianMs),
  filterMaxMs: round(table.filterMaxMs),
  filterBaselineNaiveMs: round(table.naiveFilterMedianMs),
  hostPrepareMs: round(median(prepareRuns)),
  hostBaselineJsonParseMs: round(median(parseRuns)),
  ...Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, round(v)])),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
