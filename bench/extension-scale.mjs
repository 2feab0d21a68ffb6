// The extension in a real VS Code (code-server) over homes with a long history (issue 13): homes of 10k,
// 100k and 1M artifacts plus as many task runs, against an empty home in the same run. For each, the
// Flow Runs and Artifacts views are shown, a small flow is run from its lens while they refresh (its run
// expanded), and the extension host reports through FLOWLINE_MEASURE_EVENT_LOOP (monitorEventLoopDelay,
// 5 ms resolution):
//   - the longest event-loop block while the flow runs (from the click to 2.5 s after its Completed row, so
//     the warm start of the next run's process is in it; default settings), and Flowline's
//     own part of the worst block (the host's thread sampled by V8's profiler, own-blocks.ts): the samples'
//     time less the time the thread waited for a CPU in them (a sample stands for the time to the next,
//     which with a browser, code-server and the flow on 2 cores is mostly a wait for a CPU; the thread's
//     own counters tell it, thread-cpu.ts): target ≤ 50 ms; also the samples' time as it is, and the time
//     the thread ran on a CPU in them;
//   - the memory held for the store: the store worker's JS heap plus its external memory (sql.js's
//     WebAssembly memory is there), target ≤ 200 MB; and the host's RSS growth since activation (the whole
//     process: the worker, the views, VS Code's own);
// and the growth exponent of each from 10k to 1M. Before the sessions, in this process: an artifact panel
// opening a 100,000 x 10 table through the store's worker (as the extension does), with VS Code's
// serialisation of each message (JSON.stringify) on this thread: its busiest moment and time per chunk.
// Homes are generated once into .cache/bench-homes/ (journals in the engine's format, folded by the store,
// then written once more to settle) and copied for each session, since a run changes them. The first 1M
// home takes a long time to fold (28 min here).
// Run with tsx: node --import tsx bench/extension-scale.mjs [sizes=10000,100000,1000000]
//   --homes-only: make the cached homes and stop.
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, tempDir } from "./lib.mjs";
import { ensureCodeServer, packageVsix, sleep, startSession, stopAll } from "../test/e2e/code-server.ts";
import { expand, lens, openFile, showFlowRuns, treeItem } from "../test/e2e/workbench.ts";
import { writeHistory } from "../test/unit/helpers/big-home.ts";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { SourceMap } from "node:module";
import { openStore, SCHEMA_VERSION } from "../src/store/index.ts";
import { ArtifactPanels } from "../src/extension/panels/panels.ts";
import { fakeVscode } from "../test/fake-vscode.ts";
import { testStoreService } from "../test/fake-vscode.ts";

const args = process.argv.slice(2);
const sizes = (args.find((a) => !a.startsWith("--")) ?? "10000,100000,1000000").split(",").map(Number);
const log = (m) => process.stderr.write(`extension-scale: ${m}\n`);
const watchdog = setTimeout(() => {
  log("took over 3 hours; stopping.");
  void stopAll().finally(() => process.exit(1));
}, 3 * 3600_000);
watchdog.unref();

/** Bumped when the generated history changes, so cached homes are made again. */
const HISTORY_VERSION = 2;
const CACHE = path.join(ROOT, ".cache", "bench-homes");

/** n artifacts and n task runs: n/100 flow runs over a year, 100 task runs and 100 artifacts each. */
function shapeFor(n) {
  return { flowRuns: Math.max(1, Math.round(n / 100)), taskRunsPerRun: 100, artifactsPerRun: 100, keys: 1000, days: 365 };
}

/** The cached home of size n (made, folded and settled on first use). */
async function cachedHome(n) {
  const dir = path.join(CACHE, `v${HISTORY_VERSION}-s${SCHEMA_VERSION}-${n}`);
  const home = path.join(dir, "home");
  const doneFile = path.join(dir, "done.json");
  let done = fs.existsSync(doneFile) ? JSON.parse(fs.readFileSync(doneFile, "utf8")) : undefined;
  // bench/store-scale.mjs makes the same history (same shape, folded by the CLI): copied when it is there.
  const storeScaleHome = path.join(CACHE, `store-v${HISTORY_VERSION}-history-${n}`);
  if (!done && fs.existsSync(path.join(storeScaleHome, "done"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(path.join(storeScaleHome, ".flowline"), home, { recursive: true });
    done = { n, copiedFrom: path.basename(storeScaleHome) };
    fs.writeFileSync(doneFile, JSON.stringify(done));
  }
  if (!done) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    log(`making a home of ${n.toLocaleString("en")} artifacts and task runs…`);
    let t = Date.now();
    const journalBytes = writeHistory(home, shapeFor(n));
    const wroteMs = Date.now() - t;
    t = Date.now();
    await syncOnce(home);
    const foldMs = Date.now() - t;
    log(`  ${(journalBytes / 1e6).toFixed(0)} MB of journals written in ${(wroteMs / 1000).toFixed(1)} s, folded in ${(foldMs / 1000).toFixed(1)} s`);
    done = { n, journalBytes, wroteMs, foldMs, rssAfterFold: process.memoryUsage().rss };
    fs.writeFileSync(doneFile, JSON.stringify(done));
  }
  if (!done.settleMs) {
    // The first write after a fold forgets the journals it finished, which touches (loads and rewrites)
    // every segment they filled: a one-off of the store, done here so each session starts settled, as a
    // home does after its first use.
    const t = Date.now();
    await syncOnce(home);
    done.settleMs = Date.now() - t;
    log(`  settled (the first write after the fold) in ${(done.settleMs / 1000).toFixed(1)} s`);
    fs.writeFileSync(doneFile, JSON.stringify(done));
  }
  return home;
}

async function syncOnce(home) {
  const store = await openStore(home, { onWarning: (m) => log(`store: ${m}`) });
  try {
    await store.sync({ wait: true });
  } finally {
    store.close();
  }
}

function folderBytes(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return total;
}

const homes = [];
for (const n of sizes) homes.push({ n, home: await cachedHome(n) });
if (args.includes("--homes-only")) process.exit(0);

/** The panel's host streaming a 100,000 x 10 table from the worker: this thread's share of the work. */
async function tablePanel(rows = 100_000) {
  const home = tempDir("flowline-bench-scale-table-");
  fs.mkdirSync(path.join(home, "journal"));
  const records = Array.from({ length: rows }, (_, i) => Object.fromEntries(Array.from({ length: 10 }, (_, c) => [`col_${c}`, c % 2 ? `word${i % 997} item ${i}` : i])));
  const at = new Date().toISOString();
  const lines = [{ e: "artifact", id: "table-1", key: "big", type: "table", data: records, created: at }, { e: "close", ts: at }];
  fs.writeFileSync(path.join(home, "journal", "1-table.ndjson"), lines.map((e) => JSON.stringify(e)).join("\n") + "\n");
  const store = testStoreService(() => home);
  await store.sync();
  const f = fakeVscode();
  const panels = new ArtifactPanels({ vscode: f.vscode, extensionUri: f.vscode.Uri.file("/"), getStore: () => store.get(), revealRun: async () => undefined });
  const runs = [];
  try {
    for (let r = 0; r < 3; r++) {
      await panels.open("table-1");
      const panel = f.panels.at(-1);
      let chunks = 0;
      let finished;
      const done = new Promise((resolve) => (finished = resolve));
      panel.webview.postMessage = async (m) => {
        JSON.stringify(m); // what VS Code's postMessage does with it on this thread
        if (m.type === "rows") {
          chunks++;
          if (m.done) finished();
        }
        return true;
      };
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const elu = performance.eventLoopUtilization();
      const t = performance.now();
      panel.receive({ type: "ready" });
      await done;
      const openMs = performance.now() - t;
      delay.disable();
      const active = performance.eventLoopUtilization(elu).active;
      runs.push({ openMs, maxBlockMs: delay.max / 1e6, chunks, perChunkMs: active / chunks });
      panel.dispose();
    }
  } finally {
    panels.dispose();
    await store.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const med = (k) => [...runs.map((x) => x[k])].sort((a, b) => a - b)[1];
  return { rows, openMs: med("openMs"), maxBlockMs: med("maxBlockMs"), chunks: runs[0].chunks, perChunkMs: med("perChunkMs") };
}

log("artifact panel: a 100,000-row table through the worker…");
const table = await tablePanel();
log(`  ${JSON.stringify(table)}`);

const work = tempDir("flowline-bench-scale-");
const fixture = path.join(work, "fixture");
fs.mkdirSync(fixture);
// A small flow that changes the store many times while it runs: 20 task runs, an artifact and a log line each.
fs.writeFileSync(
  path.join(fixture, "bench.ts"),
  `import { flow, task, createMarkdownArtifact, getRunLogger } from "flowline";\n\nconst step = task({ name: "step" }, async (i: number) => {\n  getRunLogger().info(\`step \${i}\`);\n  await createMarkdownArtifact(\`# Step \${i}\`, { key: "bench-step" });\n  await new Promise((r) => setTimeout(r, 100));\n  return i;\n});\n\nexport const bench = flow({ name: "bench" }, async () => {\n  for (let i = 0; i < 20; i++) await step(i);\n});\n`,
);

async function readReport(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const extensionMap = (() => {
  try {
    return new SourceMap(JSON.parse(fs.readFileSync(path.join(ROOT, "dist", "extension.js.map"), "utf8")));
  } catch {
    return undefined;
  }
})();

/** "name (extension.js:L:C) ms" with the minified position read back to the source file and line. */
function toSource(entry) {
  const m = /^(.*) \(extension\.js:(\d+):(\d+)\) (.*)$/.exec(entry);
  const found = m && extensionMap?.findEntry(Number(m[2]) - 1, Number(m[3]) - 1);
  if (!found?.originalSource) return entry;
  const src = found.originalSource.startsWith("file:") ? new URL(found.originalSource).pathname : path.resolve(ROOT, "dist", found.originalSource);
  return `${found.name ?? m[1]} (${path.relative(ROOT, src)}:${found.originalLine + 1}) ${m[4]}`;
}

/** One session over a copy of `source` (or an empty home): the figures of one run of the small flow. */
async function measure(label, source) {
  const dir = tempDir("flowline-bench-scale-home-");
  const home = path.join(dir, "home");
  if (source) fs.cpSync(source, home, { recursive: true });
  const report = path.join(dir, "loop.json");
  const session = await startSession({ vsix, fixture, settings: { "flowline.home": home }, env: { FLOWLINE_MEASURE_EVENT_LOOP: report } });
  try {
    const { page } = session;
    await sleep(3000);
    await showFlowRuns(page);
    await until(() => readReport(report), 60_000, "the extension to activate");
    if (source) {
      await treeItem(page, /^Flow run /).waitFor({ timeout: 120_000 });
      await until(async () => (await readReport(report))?.store, 60_000, "the store's worker to report");
    }
    await openFile(page, "bench.ts");
    await lens(page, "Run flow").waitFor({ timeout: 60_000 });
    await sleep(2000); // let the views settle
    const clicked = Date.now();
    await lens(page, "Run flow").click();
    // Its row, expanded as soon as it shows (its task runs then refresh with the rest).
    const row = treeItem(page, /^Flow run bench \S+, \w+$/);
    await row.waitFor({ timeout: 120_000 });
    await expand(row).catch(() => undefined);
    await treeItem(page, /^Flow run bench \S+, Completed$/).waitFor({ timeout: 120_000 });
    const completed = Date.now();
    // The report of the second that held the end of the run, a settled store, and the next run's flow
    // process started (warmStart, a second after the run ends: its spawn is on the host's thread too).
    await sleep(4000);
    const r = await readReport(report);
    const windowEnd = completed + 2500;
    const during = r.windows.filter(([t]) => t >= clicked && t <= windowEnd).map(([, ms]) => ms);
    // Flowline's own part of each block (the host's thread sampled; VS Code and other extensions excluded).
    const own = r.own.filter((b) => b.endedAt >= clicked && b.endedAt <= windowEnd);
    const worstBy = (ms) => own.reduce((a, b) => (ms(b) > (a === undefined ? -1 : ms(a)) ? b : a), undefined);
    const worst = worstBy((b) => b.flowlineMs);
    const worstHeld = worstBy((b) => b.flowlineHeldMs ?? -1);
    for (const b of new Set([worst, worstHeld])) if (b) b.top = b.top.map(toSource);
    const out = {
      label,
      homeBytes: source ? folderBytes(home) : 0,
      runMs: completed - clicked,
      flowlineMaxBlockMs: worst?.flowlineMs ?? 0,
      flowlineWorstBlock: worst,
      flowlineMaxBlockHeldMs: worstHeld?.flowlineHeldMs ?? 0,
      flowlineMaxBlockCpuMs: Math.max(0, ...own.map((b) => b.flowlineCpuMs ?? 0)),
      flowlineWorstHeldBlock: worstHeld,
      maxBlockMs: Math.max(...during),
      // Each second's longest block from 5 s before the click to 5 s after the end: [s from the click, ms].
      timeline: r.windows.filter(([t]) => t >= clicked - 5000 && t <= completed + 5000).map(([t, ms]) => [Math.round((t - clicked) / 100) / 10, Math.round(ms)]),
      sinceActivationMaxMs: r.maxMs,
      p99Ms: r.p99Ms,
      storeMB: r.store ? (r.store.heapUsedBytes + r.store.externalBytes) / 2 ** 20 : 0,
      rssGrowthMB: (r.rssBytes - r.rssAtActivationBytes) / 2 ** 20,
      rssMB: r.rssBytes / 2 ** 20,
    };
    log(`${label}: ${JSON.stringify(out)}`);
    return out;
  } finally {
    await session.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

ensureCodeServer();
const vsix = packageVsix(path.join(work, "flowline.vsix"));
const results = {};
try {
  results.empty = await measure("empty", undefined);
  for (const { n, home } of homes) results[n] = await measure(`${n.toLocaleString("en")}`, home);
} finally {
  clearTimeout(watchdog);
  await stopAll();
  fs.rmSync(work, { recursive: true, force: true });
}

/** log(b/a) / log(nb/na): 1 is linear in history, 0 flat. */
const exponent = (a, b, na, nb) => (a > 0 && b > 0 ? Math.log(b / a) / Math.log(nb / na) : 0);
const small = Math.min(...sizes);
const big = Math.max(...sizes);
const out = {
  sizes,
  table,
  results,
  largest: big,
  flowlineMaxBlockMs: results[big].flowlineMaxBlockMs,
  emptyFlowlineMaxBlockMs: results.empty.flowlineMaxBlockMs,
  flowlineMaxBlockHeldMs: results[big].flowlineMaxBlockHeldMs,
  emptyFlowlineMaxBlockHeldMs: results.empty.flowlineMaxBlockHeldMs,
  // The worst of every home, the empty one included.
  flowlineMaxBlockHeldMsAll: Math.max(...Object.values(results).map((r) => r.flowlineMaxBlockHeldMs)),
  flowlineMaxBlockMsAll: Math.max(...Object.values(results).map((r) => r.flowlineMaxBlockMs)),
  flowlineMaxBlockCpuMsAll: Math.max(...Object.values(results).map((r) => r.flowlineMaxBlockCpuMs)),
  maxBlockMs: results[big].maxBlockMs,
  emptyMaxBlockMs: results.empty.maxBlockMs,
  storeMB: results[big].storeMB,
  emptyStoreMB: results.empty.storeMB,
  rssGrowthMB: results[big].rssGrowthMB,
  emptyRssGrowthMB: results.empty.rssGrowthMB,
  maxBlockExponent: exponent(results[small].maxBlockMs, results[big].maxBlockMs, small, big),
  flowlineMaxBlockExponent: exponent(results[small].flowlineMaxBlockMs, results[big].flowlineMaxBlockMs, small, big),
  storeMemoryExponent: exponent(results[small].storeMB, results[big].storeMB, small, big),
};
console.log(JSON.stringify(out));
