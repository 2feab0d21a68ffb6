// The store at 100,000 artifacts (1,000 keys × 100 versions): listing the latest of every key, the
// database's size on disk per artifact, and whether one artifact's fold costs more in a big database.
// Baselines in the same run: a plain SQL SELECT of the same 1,000 rows (sql.js, no mapping); the raw JSON
// of the artifacts; the same fold into an empty database.
// Usage: node bench/artifacts-list.mjs [N=100000]. Prints one JSON line.
import * as fs from "node:fs";
import * as path from "node:path";
import { median, nowMs, tempDir } from "./lib.mjs";
import { artifactLines, loadSqlJs, loadStore, writeJournal } from "./artifacts-lib.mjs";

const N = Number(process.argv[2] ?? 100_000);
const KEYS = 1000;
const BATCH = 2000;
const { openStore } = await loadStore(tempDir());
const SQL = await loadSqlJs();

async function timed(fn) {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/** Folds `count` new artifacts into `store` (as one sync); returns ms. */
async function foldBatch(store, home, count, start) {
  writeJournal(home, `b${start}`, artifactLines(count, { keys: KEYS, start }));
  return timed(() => store.sync());
}

/**
 * One artifact's cost in a database of `base` artifacts: a sync of BATCH new ones, and a sync of 1 (which
 * is nearly all fixed cost: the whole file is exported and written once per sync, whatever it folds).
 */
async function growth(store, home, base) {
  const batch = [], one = [];
  for (let r = 0; r < 3; r++) {
    batch.push(await foldBatch(store, home, BATCH, base + r * (BATCH + 1)));
    one.push(await foldBatch(store, home, 1, base + r * (BATCH + 1) + BATCH));
  }
  const b = median(batch), o = median(one);
  return { perArtifactUs: (b * 1000) / BATCH, marginalUs: ((b - o) * 1000) / (BATCH - 1), writeMs: o };
}

// An empty database first: the baseline for one artifact's cost.
const emptyHome = tempDir();
const empty = await openStore(emptyHome);
await foldBatch(empty, emptyHome, 10, 10_000_000); // the file exists and the code is warm
const atZero = await growth(empty, emptyHome, 20_000_000);
empty.close();

const home = tempDir();
const lines = artifactLines(N, { keys: KEYS });
const jsonBytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
writeJournal(home, "all", lines);
const store = await openStore(home);
const foldAllMs = await timed(() => store.sync());
const dbFile = path.join(home, "flowline.db");
// The store's files: the index and the segments (their databases and payload files).
const dataDir = path.join(home, "data");
const dbBytes = fs.statSync(dbFile).size + fs.readdirSync(dataDir).reduce((n, f) => n + fs.statSync(path.join(dataDir, f)).size, 0);
const segmentFile = path.join(dataDir, fs.readdirSync(dataDir).filter((f) => f.endsWith(".db")).sort().pop());

const latest = [], keys = [], plain = [];
let rows = 0;
const raw = new SQL.Database(fs.readFileSync(segmentFile));
for (let r = 0; r < 11; r++) {
  latest.push(await timed(async () => (rows = (await store.listArtifacts({ latestOnly: true })).length)));
  keys.push(await timed(() => store.listArtifactKeys()));
  plain.push(await timed(() => raw.exec("SELECT id, key, type, description, data, flow_run_id, task_run_id, created FROM artifacts ORDER BY seq DESC LIMIT 1000")));
}
raw.close();
if (rows !== KEYS) throw new Error(`listed ${rows} keys, expected ${KEYS}`);

const atFull = await growth(store, home, N);
store.close();
const m = (list) => median(list.slice(1));
console.log(JSON.stringify({
  n: N,
  keys: KEYS,
  foldAllUs: (foldAllMs * 1000) / N,
  latestMs: m(latest),
  keysMs: m(keys),
  plainSelectMs: m(plain),
  dbBytesPerArtifact: dbBytes / N,
  jsonBytesPerArtifact: jsonBytes / N,
  emptyPerArtifactUs: atZero.perArtifactUs,
  emptyMarginalUs: atZero.marginalUs,
  emptyWriteMs: atZero.writeMs,
  fullPerArtifactUs: atFull.perArtifactUs,
  fullMarginalUs: atFull.marginalUs,
  fullWriteMs: atFull.writeMs,
}));
