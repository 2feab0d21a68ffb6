// The store over a long history and a big run (issue 13), each against an empty home in the same run, and
// the growth exponent of each cost from 10k to 1M (the slope of log cost over log size: 0 is flat, 1 is
// linear; anything above 1 is super-linear).
//   - Homes of n artifacts and n task runs (n/100 flow runs over a year, 100 task runs and 100 artifacts
//     each, 1,000 keys): `flowline runs ls` and `flowline artifacts ls` (target ≤ 300 ms and ≤ 2× the
//     empty home), and one more small run end to end with the next reader's fold (`flowline run` then
//     `flowline runs ls`; target ≤ 1.5× the empty home).
//   - A flow of n task runs (n sequential task runs in one journal): the first read after it, which folds
//     it (target ≤ 10 s and ≤ 500 MB at 1M), `runs inspect` of it (first page; target ≤ 1 s), and
//     `prune --all` of it (target ≤ 10 s and ≤ 500 MB).
// Every figure is a whole `flowline` process (the CLI as a user runs it): wall time, and peak RSS from
// /usr/bin/time. Homes are generated once into .cache/bench-homes/ (journals in the engine's own format,
// folded by the store) and copied for each measurement that changes them.
// Run with tsx: node --import tsx bench/store-scale.mjs [sizes=10000,100000,1000000] [reps=5]
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, median, tempDir } from "./lib.mjs";
import { writeHistory, bigId } from "../test/unit/helpers/big-home.ts";
import { encodeEvent } from "../src/engine/journal.ts";

const args = process.argv.slice(2);
const sizes = (args[0] ?? "10000,100000,1000000").split(",").map(Number);
const REPS = Number(args[1] ?? 5);
const CLI = path.join(ROOT, "bin", "flowline.js");
const CACHE = path.join(ROOT, ".cache", "bench-homes");
const HISTORY_VERSION = 2;
const log = (m) => process.stderr.write(`store-scale: ${m}\n`);

/**
 * Runs `flowline …` in `cwd` with its home there; resolves to wall ms, peak RSS (MB) and stdout. The wall
 * time is taken here to the millisecond (time's own is in hundredths of a second), so it includes starting
 * /usr/bin/time, about a millisecond.
 */
function flowline(cliArgs, home) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-f", "%e %M", process.execPath, CLI, ...cliArgs], {
      cwd: path.dirname(home),
      env: { ...process.env, FLOWLINE_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const last = err.trim().split("\n").pop() ?? "";
      const [wall, rssKb] = last.split(" ").map(Number);
      if (code !== 0 || !Number.isFinite(wall)) return reject(new Error(`flowline ${cliArgs.join(" ")} exited ${code}: ${err}`));
      resolve({ ms, rssMB: rssKb / 1024, stdout: out });
    });
  });
}

function copyHome(from) {
  const to = path.join(tempDir("flowline-scale-"), ".flowline");
  fs.cpSync(from, to, { recursive: true });
  // The copy's writes reach the disk before the clock starts: a home of 633 MB just copied would otherwise
  // be written back under the run's own fsyncs, and that is the copy's cost, not the run's.
  spawnSync("sync");
  return to;
}

function folderMB(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? folderMB(p) * 2 ** 20 : fs.statSync(p).size;
  }
  return total / 2 ** 20;
}

/** A folded home of n artifacts and n task runs (0: an empty home), cached. */
async function historyHome(n) {
  const dir = path.join(CACHE, `store-v${HISTORY_VERSION}-history-${n}`);
  const home = path.join(dir, ".flowline");
  if (fs.existsSync(path.join(dir, "done"))) return home;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  if (n > 0) {
    log(`making a home of ${n.toLocaleString("en")} artifacts and task runs…`);
    writeHistory(home, { flowRuns: Math.max(1, n / 100), taskRunsPerRun: 100, artifactsPerRun: 100, keys: 1000, days: 365 });
    const fold = await flowline(["runs", "ls", "--limit", "1"], home);
    log(`  folded in ${(fold.ms / 1000).toFixed(1)} s, ${fold.rssMB.toFixed(0)} MB; ${folderMB(home).toFixed(0)} MB on disk`);
  } else await flowline(["runs", "ls"], home);
  fs.writeFileSync(path.join(dir, "done"), "");
  return home;
}

/** A home with the journal of one flow of n sequential task runs, not folded yet (cached as a journal). */
function bigRunHome(n) {
  const dir = path.join(CACHE, `store-v${HISTORY_VERSION}-bigrun-${n}`);
  const home = path.join(dir, ".flowline");
  if (!fs.existsSync(path.join(dir, "done"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    const journal = path.join(home, "journal");
    fs.mkdirSync(journal, { recursive: true });
    log(`writing the journal of a flow of ${n.toLocaleString("en")} task runs…`);
    const fd = fs.openSync(path.join(journal, "1-00000000b16.ndjson"), "w");
    const t0 = Date.parse("2025-06-01T00:00:00.000Z");
    const at = (ms) => new Date(t0 + ms).toISOString();
    const flowRunId = bigId(2, 0);
    let lines = [encodeEvent({ e: "flow_run", id: flowRunId, name: "big-run", flowName: "big", parameters: { n }, tags: [], created: at(0), expectedStartTime: at(0), pid: 1 })];
    lines.push(encodeEvent({ e: "state", kind: "flow", id: flowRunId, type: "Running", name: "Running", ts: at(0), runCount: 1 }));
    for (let i = 0; i < n; i++) {
      const id = bigId(8, i);
      // One line a task run, as the engine's journal writes a task run whose states follow its creation.
      lines.push(encodeEvent({ e: "task_run", id, flowRunId, name: `add-${i}`, taskName: "add", parameters: { x: i }, tags: [], created: at(i), running: at(i), completed: at(i) }));
      if (lines.length >= 10_000) {
        fs.writeSync(fd, `${lines.join("\n")}\n`);
        lines = [];
      }
    }
    lines.push(encodeEvent({ e: "state", kind: "flow", id: flowRunId, type: "Completed", name: "Completed", ts: at(n), runCount: 1 }));
    lines.push(encodeEvent({ e: "close", ts: at(n) }));
    fs.writeSync(fd, `${lines.join("\n")}\n`);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(dir, "done"), "");
  }
  return { home, flowRunId: bigId(2, 0) };
}

const SMALL_FLOW = `import { flow, task, createMarkdownArtifact } from "flowline";
const step = task({ name: "step" }, async ({ i }: { i: number }) => i * 2);
export const small = flow({ name: "small" }, async () => {
  let total = 0;
  for (let i = 0; i < 10; i++) total += await step({ i });
  await createMarkdownArtifact("# done", { key: "small-report" });
  return total;
});
`;

/** The median of `count` runs (REPS unless said): the listings, a few hundred ms each, take more to steady their median. */
async function reps(fn, count = REPS) {
  const results = [];
  for (let r = 0; r < count; r++) results.push(await fn());
  return { ms: median(results.map((x) => x.ms)), rssMB: Math.max(...results.map((x) => x.rssMB)) };
}

/** The costs of one history home (n = 0: empty). */
async function measureHistory(n) {
  const cached = await historyHome(n);
  const runsLs = await reps(() => flowline(["runs", "ls"], cached), Math.max(REPS, 9));
  const artifactsLs = await reps(() => flowline(["artifacts", "ls"], cached), Math.max(REPS, 9));
  // One more small run, then the next reader (it folds): on a copy, a new copy each time.
  const smallRun = await reps(async () => {
    const home = copyHome(cached);
    fs.writeFileSync(path.join(path.dirname(home), "small.ts"), SMALL_FLOW);
    const run = await flowline(["run", "small.ts"], home);
    const read = await flowline(["runs", "ls"], home);
    fs.rmSync(path.dirname(home), { recursive: true, force: true });
    return { ms: run.ms + read.ms, rssMB: Math.max(run.rssMB, read.rssMB) };
  });
  return { n, homeMB: folderMB(cached), runsLs, artifactsLs, smallRun };
}

/** The costs of one big run of n task runs. */
async function measureBigRun(n) {
  const { home: cached, flowRunId } = bigRunHome(n);
  const home = copyHome(cached);
  const fold = await flowline(["runs", "ls"], home);
  const inspect = await reps(() => flowline(["runs", "inspect", flowRunId], home));
  const prune = await flowline(["prune", "--all"], home);
  const after = folderMB(home);
  fs.rmSync(path.dirname(home), { recursive: true, force: true });
  return { n, fold, inspect, prune, mbAfterPrune: after };
}

/** The slope of log cost over log size, from the smallest size to the largest. */
const exponent = (list, pick) => Math.log(pick(list[list.length - 1]) / pick(list[0])) / Math.log(list[list.length - 1].n / list[0].n);

const empty = await measureHistory(0);
const history = [];
for (const n of sizes) history.push(await measureHistory(n));
const runs = [];
for (const n of sizes) runs.push(await measureBigRun(n));
console.log(
  JSON.stringify({
    sizes,
    empty,
    history,
    runs,
    exponents: {
      runsLs: exponent(history, (h) => h.runsLs.ms),
      artifactsLs: exponent(history, (h) => h.artifactsLs.ms),
      smallRun: exponent(history, (h) => h.smallRun.ms),
      fold: exponent(runs, (r) => r.fold.ms),
      foldRss: exponent(runs, (r) => r.fold.rssMB),
      inspect: exponent(runs, (r) => r.inspect.ms),
      prune: exponent(runs, (r) => r.prune.ms),
    },
  }),
);
