// `npm run bench`: every benchmark, each against a baseline measured in the same run, as one report.
// `npm run bench -- --write` also writes the report to BENCHMARKS.md.
// The side-by-side section (bench/compare.mjs: Flowline against DBOS, Restate and Mastra, installed into
// .cache/bench-peers) runs by default and then the report is written to BENCHMARKS.md without --write;
// FLOWLINE_BENCH_PEERS=0 skips it for a quick run (printed only, unless --write).
// `--task-runs=N` sizes the flows of many task runs (default 1,000,000; `--task-runs=100000` for a quick run).
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, fmt, machine, runNodeJson } from "./lib.mjs";

const here = path.join(ROOT, "bench");
const peersOn = (process.env.FLOWLINE_BENCH_PEERS ?? "1").trim() !== "0";
const write = process.argv.includes("--write") || (peersOn && !process.argv.includes("--no-write"));
const rows = [];
const row = (what, flowline, baseline, ratio, target, ok) => rows.push({ what, flowline, baseline, ratio, target, ok });

process.stderr.write("engine overhead…\n");
const eo = await runNodeJson(path.join(here, "engine-overhead.mjs"), ["10000", "15"]);
const seqOver = eo.seqUs - eo.bareSeqUs;
const subOver = eo.subUs - eo.bareConcUs;
row("Sequential task run (await task(i)), per run", `${fmt(eo.seqUs)} µs`, `${fmt(eo.bareSeqUs)} µs bare async call`, `${fmt(eo.seqUs / eo.bareSeqUs, 0)}×; overhead ${fmt(seqOver)} µs`, "≤ 20 µs overhead", seqOver <= 20);
row("Submitted task run (task.submit(i)), per run", `${fmt(eo.subUs)} µs`, `${fmt(eo.bareConcUs)} µs bare concurrent call`, `${fmt(eo.subUs / eo.bareConcUs, 0)}×; overhead ${fmt(subOver)} µs`, "≤ 20 µs overhead", subOver <= 20);
row("Sequential task run against the floor (ALS.run + randomUUID + two states pushed to an array), CPU time, same run", `${fmt(eo.seqUs)} µs`, `${fmt(eo.floorUs)} µs floor`, `${fmt(eo.seqRatio)}×`, "≤ 2×", eo.seqRatio <= 2);
row("Submitted task run against the floor run concurrently, CPU time, same run", `${fmt(eo.subUs)} µs`, `${fmt(eo.floorConcUs)} µs floor, concurrent`, `${fmt(eo.subConcRatio)}×`, "≤ 3×", eo.subConcRatio <= 3);
row("Same against Prefect 2's published ~100 ms a task run", `${fmt(seqOver)} µs`, "100,000 µs", `${fmt(100_000 / seqOver, 0)}× less`, "", true);

const taskRuns = Number(process.argv.find((a) => a.startsWith("--task-runs="))?.slice("--task-runs=".length) ?? 1_000_000);
process.stderr.write(`a flow of ${taskRuns.toLocaleString("en")} task runs through \`flowline run\`…\n`);
const mi = await runNodeJson(path.join(here, "engine-million.mjs"), [String(taskRuns)]);
const many = taskRuns.toLocaleString("en");
row(`A flow of ${many} sequential task runs, \`flowline run\`: the flow process's peak RSS`, `${fmt(mi.sequential.peakRssMB, 0)} MB`, `${fmt(mi.sequential.usPerTaskRun)} µs a task run`, "", "≤ 300 MB", mi.sequential.peakRssMB <= 300);
row(`… the CLI's exit after the flow returned`, `${fmt(mi.sequential.exitAfterReturnMs, 0)} ms`, "", "", "≤ 1,000 ms", mi.sequential.exitAfterReturnMs <= 1000);
row(`A flow of task.map over ${many} items, \`flowline run\`: the flow process's peak RSS`, `${fmt(mi.mapped.peakRssMB, 0)} MB`, `${fmt(mi.mapped.usPerTaskRun)} µs a task run`, "", "≤ 500 MB", mi.mapped.peakRssMB <= 500);
row(`… the CLI's exit after the flow returned`, `${fmt(mi.mapped.exitAfterReturnMs, 0)} ms`, "", "", "≤ 1,000 ms", mi.mapped.exitAfterReturnMs <= 1000);

process.stderr.write("memory…\n");
const mem = await runNodeJson(path.join(here, "engine-memory.mjs"), ["10000"], { nodeArgs: ["--expose-gc"] });
row("10,000 submitted task runs in one flow: peak RSS growth", `${fmt(mem.rssGrowthMB, 1)} MB`, `${fmt(mem.rssBeforeMB, 1)} MB at start`, "", "< 100 MB", mem.rssGrowthMB < 100);

process.stderr.write("CLI cold start…\n");
const cs = await runNodeJson(path.join(here, "cli-start.mjs"), ["10"]);
row("`flowline run` of a trivial flow, whole process", `${fmt(cs.flowlineMs, 0)} ms`, `${fmt(cs.nodeMs, 0)} ms \`node -e 0\``, `+${fmt(cs.overheadMs, 0)} ms`, "≤ 400 ms on top of node", cs.overheadMs <= 400);

process.stderr.write("extension in a real VS Code (code-server)…\n");
const ex = await runNodeJson(path.join(here, "extension.mjs"), ["3", "5"], { nodeArgs: ["--import", "tsx"] });
const ownActivation = ex.ownLoadMs + ex.ownActivateMs;
row("Extension activation in code-server: loading its modules + activate(), timed inside", `${fmt(ownActivation, 1)} ms (${fmt(ex.ownCpuMs, 1)} ms CPU)`, `VS Code's figure: ${fmt(ex.vscodeActivationMs, 0)} ms, an empty extension on the same event ${fmt(ex.baselineActivationMs, 0)} ms`, `+${fmt(ex.vscodeActivationMs - ex.baselineActivationMs, 0)} ms by VS Code's figure`, "≤ 50 ms", ownActivation <= 50);
row("▶ Run flow click to the first task starting (warm)", `${fmt(ex.clickMs, 0)} ms`, `${fmt(ex.cliMs, 0)} ms \`flowline run\` in a terminal, start to first task`, `${fmt(ex.clickMs / ex.cliMs)}×`, "≤ 500 ms", ex.clickMs <= 500);
row("… the same click with flowline.warmStart off (the run's process started at the click)", `${fmt(ex.clickMs, 0)} ms`, `${fmt(ex.clickNoWarmMs, 0)} ms warmStart off`, `${fmt(ex.clickMs / ex.clickNoWarmMs)}×`, "", true);
row("… the first click of a window (esbuild and the store start cold)", `${fmt(ex.clickColdMs, 0)} ms`, `${fmt(ex.clickMs, 0)} ms warm`, `${fmt(ex.clickColdMs / ex.clickMs)}×`, "", true);

process.stderr.write("flow finder (CodeLens)…\n");
const ff = await runNodeJson(path.join(here, "flow-finder.mjs"), ["5"], { nodeArgs: ["--import", "tsx"] });
row(`Find the flows of a typical flow file (${fmt(ff.typical.bytes / 1024, 1)} KB), CPU`, `${fmt(ff.typical.finderMs)} ms`, `${fmt(ff.typical.parseMs)} ms @babel/parser alone`, `${fmt(ff.typical.finderMs / ff.typical.parseMs)}×`, "≤ 20 ms", ff.typical.finderMs <= 20);
for (const [what, f] of [["a 5 MB file of 2,000 flows", ff.fiveMb], ["the TypeScript compiler (9 MB of JavaScript)", ff.typescriptJs]]) {
  row(`… ${what}, CPU`, `${fmt(f.finderMs, 0)} ms`, `${fmt(f.parseMs, 0)} ms @babel/parser alone`, `${fmt(f.finderMs / f.parseMs)}×`, "≤ 1.5× the parse", f.finderMs / f.parseMs <= 1.5);
}

process.stderr.write("artifacts: create and fold…\n");
const a2 = await runNodeJson(path.join(here, "artifacts.mjs"), ["2000", "5"]);
const a20 = await runNodeJson(path.join(here, "artifacts.mjs"), ["20000", "3"]);
for (const a of [a2, a20]) {
  const n = a.n.toLocaleString("en");
  row(`Create a table artifact in a flow (${n} in one flow), per call`, `${fmt(a.createUs)} µs`, `${fmt(a.appendUs)} µs fs.appendFileSync of the same JSON`, `${fmt(a.createUs / a.appendUs)}×`, "≤ 200 µs", a.createUs <= 200);
}
row("… flat: per call at 20,000 against at 2,000", `${fmt(a20.createUs)} µs`, `${fmt(a2.createUs)} µs`, `${fmt(a20.createUs / a2.createUs)}×`, "≤ 1.5×", a20.createUs / a2.createUs <= 1.5);
for (const a of [a2, a20]) {
  const n = a.n.toLocaleString("en");
  row(`Fold + write into the store, ${n} a sync, per artifact`, `${fmt(a.foldUs)} µs`, `${fmt(a.insertUs)} µs plain sql.js INSERT + export + write`, `${fmt(a.foldUs / a.insertUs)}×`, "≤ 200 µs", a.foldUs <= 200);
}

process.stderr.write("artifacts: 100,000 stored…\n");
const al = await runNodeJson(path.join(here, "artifacts-list.mjs"), ["100000"]);
row("Latest of every key (1,000 keys), 100,000 artifacts stored", `${fmt(al.latestMs)} ms`, `${fmt(al.plainSelectMs)} ms plain SELECT of 1,000 rows`, `${fmt(al.latestMs / al.plainSelectMs)}×`, "≤ 50 ms", al.latestMs <= 50);
row("Every key with its version count (the Artifacts tree), same store", `${fmt(al.keysMs)} ms`, `${fmt(al.plainSelectMs)} ms plain SELECT of 1,000 rows`, `${fmt(al.keysMs / al.plainSelectMs)}×`, "≤ 50 ms", al.keysMs <= 50);
row("Database size on disk per artifact (small markdown, 5 indexes)", `${fmt(al.dbBytesPerArtifact, 0)} B`, `${fmt(al.jsonBytesPerArtifact, 0)} B of journal JSON`, `${fmt(al.dbBytesPerArtifact / al.jsonBytesPerArtifact)}×`, "", true);
row("One artifact's fold (marginal, 2,000 a sync) with 100,000 stored", `${fmt(al.fullMarginalUs)} µs`, `${fmt(al.emptyMarginalUs)} µs into an empty store`, `${fmt(al.fullMarginalUs / al.emptyMarginalUs)}×`, "≤ 200 µs", al.fullMarginalUs <= 200);
row("Fixed cost of a sync that writes (export, fsync, rename) with 100,000 stored", `${fmt(al.fullWriteMs, 0)} ms`, `${fmt(al.emptyWriteMs, 0)} ms with an empty store`, `${fmt(al.fullWriteMs / al.emptyWriteMs, 0)}×; once a sync, not an artifact`, "", true);

// The store over a long history and a big run (bench/store-scale.mjs, issue 13): homes of 10k and 100k
// artifacts and task runs by default, and 1M too with FLOWLINE_BENCH_SCALE=1 (homes are made once into
// .cache/bench-homes/; the 1M ones take minutes the first time). Each cost against the empty home, or the
// smallest size, in the same run, with its growth exponent (1 is linear; above 1, super-linear).
const scaleOn = (process.env.FLOWLINE_BENCH_SCALE ?? "").trim() === "1";
process.stderr.write(`store over a long history (${scaleOn ? "to 1M" : "to 100k; FLOWLINE_BENCH_SCALE=1 for 1M"})…\n`);
const ss = await runNodeJson(path.join(here, "store-scale.mjs"), [scaleOn ? "10000,100000,1000000" : "10000,100000", "3"], { nodeArgs: ["--import", "tsx"] });
{
  const h = ss.history[ss.history.length - 1];
  const e = ss.empty;
  const hn = h.n.toLocaleString("en");
  const exp = (x) => `growth exponent ${fmt(x)}`;
  for (const [what, key] of [["`flowline runs ls`", "runsLs"], ["`flowline artifacts ls`", "artifactsLs"]]) {
    const ms = h[key].ms;
    const ratio = ms / e[key].ms;
    row(`${what}, home of ${hn} artifacts + ${hn} task runs (${fmt(h.homeMB, 0)} MB)`, `${fmt(ms, 0)} ms, ${fmt(h[key].rssMB, 0)} MB`, `${fmt(e[key].ms, 0)} ms empty home`, `${fmt(ratio)}×; ${exp(ss.exponents[key])}`, "≤ 300 ms and ≤ 2×", ms <= 300 && ratio <= 2);
  }
  const sr = h.smallRun.ms / e.smallRun.ms;
  row(`One more small run end to end, with the next reader's fold, same home`, `${fmt(h.smallRun.ms, 0)} ms`, `${fmt(e.smallRun.ms, 0)} ms empty home`, `${fmt(sr)}×; ${exp(ss.exponents.smallRun)}`, "≤ 1.5×", sr <= 1.5);
  const r = ss.runs[ss.runs.length - 1];
  const r0 = ss.runs[0];
  const rn = r.n.toLocaleString("en");
  const r0n = r0.n.toLocaleString("en");
  row(`First read after a flow of ${rn} sequential task runs (it folds the run)`, `${fmt(r.fold.ms / 1000, 1)} s, ${fmt(r.fold.rssMB, 0)} MB`, `${fmt(r0.fold.ms / 1000, 2)} s at ${r0n}`, `${exp(ss.exponents.fold)}; memory ${exp(ss.exponents.foldRss)}`, "≤ 10 s and ≤ 500 MB", r.fold.ms <= 10_000 && r.fold.rssMB <= 500);
  row(`\`flowline runs inspect\` of that run (first page)`, `${fmt(r.inspect.ms, 0)} ms`, `${fmt(r0.inspect.ms, 0)} ms at ${r0n}`, exp(ss.exponents.inspect), "≤ 1 s", r.inspect.ms <= 1000);
  row(`\`flowline prune --all\` of those ${rn} task runs`, `${fmt(r.prune.ms / 1000, 1)} s, ${fmt(r.prune.rssMB, 0)} MB`, `${fmt(r0.prune.ms / 1000, 2)} s at ${r0n}`, `${exp(ss.exponents.prune)}; ${fmt(r.mbAfterPrune, 1)} MB left on disk`, "≤ 10 s and ≤ 500 MB", r.prune.ms <= 10_000 && r.prune.rssMB <= 500);
}

process.stderr.write("durability modes…\n");
const du = await runNodeJson(path.join(here, "durability.mjs"), ["200", "5"]);
row("Create an artifact in a flow run by `flowline run`, FLOWLINE_DURABILITY=fsync, per call", `${fmt(du.fsyncCreateUs)} µs`, `${fmt(du.runCreateUs)} µs default mode (flushed at the run's end)`, `${fmt(du.fsyncCreateUs / du.runCreateUs)}×`, "", true);
row("Task run persisting its result, fsync mode, per run", `${fmt(du.fsyncTaskUs)} µs`, `${fmt(du.runTaskUs)} µs default mode`, `${fmt(du.fsyncTaskUs / du.runTaskUs)}×`, "", true);
row("`flowline run` of 200 such tasks and 200 artifacts, whole command, fsync mode", `${fmt(du.fsyncWallMs, 0)} ms`, `${fmt(du.runWallMs, 0)} ms default mode`, `${fmt(du.fsyncWallMs / du.runWallMs)}×`, "", true);
row("… an fsync-mode create against one bare flush (fdatasync of a 200-byte append, same disk)", `${fmt(du.fsyncCreateUs)} µs`, `${fmt(du.rawFlushUs)} µs`, `${fmt(du.fsyncCreateUs / du.rawFlushUs)}×`, "", true);

process.stderr.write("team mode (a private PostgreSQL cluster, workers)…\n");
const tm = await runNodeJson(path.join(here, "team.mjs"), ["200", "3"], { nodeArgs: ["--import", "tsx"] });
row(`Distributed task run (taskRunner "distributed", one worker with 4 slots), per run, ${tm.n} no-op task runs`, `${fmt(tm.distributedUs / 1000)} ms`, `${fmt(tm.inProcessUs / 1000)} ms in the flow's process, same database`, `${fmt(tm.distributedUs / tm.inProcessUs)}×`, "", true);
row("… the in-process task run in team mode (its states committed to PostgreSQL) against the local store, flow of the same size", `${fmt(tm.inProcessUs / 1000)} ms`, `${fmt(tm.localInProcessUs / 1000)} ms local store`, `${fmt(tm.inProcessUs / tm.localInProcessUs)}×`, "", true);
row(`… the same, marginal: one more task run in a flow of ${tm.n}–${5 * tm.n}`, `${fmt(tm.teamMarginalUs)} µs`, `${fmt(tm.localMarginalUs)} µs local store`, `${fmt(tm.teamMarginalUs / tm.localMarginalUs)}×`, "", true);
for (const w of [1, 2, 4]) {
  row(`Throughput, ${w} worker${w > 1 ? "s" : ""} (one slot each), task runs that wait ${tm.taskMs} ms`, `${fmt(tm.throughput[w], 1)} /s`, `${fmt(tm.idealPerWorker * w, 0)} /s if nothing but the wait cost`, `${fmt(tm.throughput[w] / (tm.idealPerWorker * w))}×`, "", true);
}
row("`flowline run` of a 20-task flow with an artifact, whole command, team mode (PostgreSQL)", `${fmt(tm.teamRunMs, 0)} ms`, `${fmt(tm.localRunMs, 0)} ms local store`, `${fmt(tm.teamRunMs / tm.localRunMs)}×`, "", true);

// The extension over homes of 10k, 100k and 1M artifacts and task runs (bench/extension-scale.mjs): making
// the homes takes long the first time (cached in .cache/bench-homes/), and each size is a code-server
// session, so it runs only with FLOWLINE_BENCH_SCALE=1 (about 5 minutes with the homes made).
if (scaleOn) {
  process.stderr.write("extension over a long history (FLOWLINE_BENCH_SCALE=1)…\n");
  const sc = await runNodeJson(path.join(here, "extension-scale.mjs"), [], { nodeArgs: ["--import", "tsx"] });
  const n = sc.largest.toLocaleString("en");
  row(`Extension host: Flowline's part of the longest event-loop block while a small flow runs, home of ${n} artifacts + ${n} task runs (host thread sampled by V8's profiler, less the time it waited for a CPU)`, `${fmt(sc.flowlineMaxBlockHeldMs, 1)} ms (${fmt(sc.flowlineMaxBlockMsAll, 1)} ms sampled, worst of all homes)`, `${fmt(sc.emptyFlowlineMaxBlockHeldMs, 1)} ms on an empty home`, `worst of all homes ${fmt(sc.flowlineMaxBlockHeldMsAll, 1)} ms; growth exponent of the sampled time ${fmt(sc.flowlineMaxBlockExponent)} from ${sc.sizes[0].toLocaleString("en")}`, "≤ 50 ms", sc.flowlineMaxBlockHeldMsAll <= 50);
  row(`Extension host: longest event-loop block while a small flow runs, whoever held it (VS Code, other extensions, Flowline), same home (monitorEventLoopDelay)`, `${fmt(sc.maxBlockMs, 0)} ms`, `${fmt(sc.emptyMaxBlockMs, 0)} ms on an empty home`, `${fmt(sc.maxBlockMs / sc.emptyMaxBlockMs)}×; growth exponent ${fmt(sc.maxBlockExponent)} from ${sc.sizes[0].toLocaleString("en")}`, "", true);
  row(`Extension host: memory held for the store (its worker's heap + external, sql.js's memory included), same home`, `${fmt(sc.storeMB, 0)} MB`, `${fmt(sc.emptyStoreMB, 0)} MB on an empty home`, `${fmt(sc.storeMB / sc.emptyStoreMB)}×; growth exponent ${fmt(sc.storeMemoryExponent)}`, "≤ 200 MB", sc.storeMB <= 200);
  row("Artifact panel: a 100,000 × 10 table streamed from the store's worker, the extension host's thread per chunk (VS Code's serialisation included)", `${fmt(sc.table.perChunkMs)} ms × ${sc.table.chunks} chunks`, `${fmt(sc.table.openMs, 0)} ms to stream it all`, "", "", true);
  row(`… the extension host's RSS growth since activation (whole process), same home`, `${fmt(sc.rssGrowthMB, 0)} MB`, `${fmt(sc.emptyRssGrowthMB, 0)} MB on an empty home`, `${fmt(sc.rssGrowthMB / sc.emptyRssGrowthMB)}×`, "", true);
}

let comparison = "";
process.stderr.write("artifact panel in Chromium, Artifacts tree…\n");
const wv = await runNodeJson(path.join(here, "webview.mjs"));
row("Open a 100,000 × 10 table in the artifact panel (headless Chromium)", `${fmt(wv.openMs, 0)} ms`, `${fmt(wv.openBaselineJsonParseMs, 0)} ms JSON.parse of the same table`, `${fmt(wv.openMs / wv.openBaselineJsonParseMs)}×`, "< 1,000 ms", wv.openMs < 1000);
row("Filter that table, slowest keystroke", `${fmt(wv.filterMaxMs, 0)} ms`, `${fmt(wv.filterBaselineNaiveMs, 0)} ms naive scan of every cell`, `${fmt(wv.filterMaxMs / wv.filterBaselineNaiveMs)}×`, "< 100 ms", wv.filterMaxMs < 100);
row("Artifacts tree refresh, 100,000 artifacts stored", `${fmt(wv.treeRefreshMs, 0)} ms`, `${fmt(wv.treeBaselineFullListMs, 0)} ms listing every artifact`, `${fmt(wv.treeRefreshMs / wv.treeBaselineFullListMs)}×`, "", true);

if (peersOn) {
  process.stderr.write("side by side with other engines (bench/compare.mjs; FLOWLINE_BENCH_PEERS=0 skips)…\n");
  const { renderComparison } = await import("./compare-report.mjs");
  comparison = renderComparison(await runNodeJson(path.join(here, "compare.mjs")));
}

const lines = [
  "# Benchmarks",
  "",
  `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine()}.`,
  "Each figure is a median, taken against its baseline in the same run.",
  "",
  "| What | Flowline | Baseline | Ratio | Target | Met |",
  "| --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.what} | ${r.flowline} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.target ? (r.ok ? "yes" : "**no**") : ""} |`),
  "",
];
if (comparison) lines.push(comparison, "");
const report = lines.join("\n");
process.stdout.write(`${report}\n`);
if (write) fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), `${report}\n${fs.existsSync(path.join(here, "NOTES.md")) ? fs.readFileSync(path.join(here, "NOTES.md"), "utf8") : ""}`);
