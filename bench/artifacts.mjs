// Cost of one artifact, as a flow sees the create call and as the store folds and writes it. One flow
// creates N small table artifacts (3 rows × 3 columns, 100 keys), several rounds; after each round the
// store folds the journal and writes the database (as `flowline run` does at the end of a run).
// Baselines in the same process: fs.appendFileSync of the same JSON line (create), and plain sql.js
// INSERTs of the same rows in one transaction plus export and write (fold + write).
// Usage: node bench/artifacts.mjs [N=2000] [ROUNDS=5]. Prints one JSON line (µs per artifact, medians).
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { DIST, median, nowMs, tempDir } from "./lib.mjs";
import { loadSqlJs, loadStore, smallTable } from "./artifacts-lib.mjs";

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);
const home = tempDir();
process.env.FLOWLINE_HOME = home;
process.env.FLOWLINE_LOGGING_LEVEL = "WARNING";
const require = createRequire(import.meta.url);
const { flow, createTableArtifact } = require(`${DIST}/flowline.js`);
const { openStore } = await loadStore(tempDir());
const SQL = await loadSqlJs();

const table = (i) => [
  { city: "Tokyo", population: 37.1 + i, when: new Date("2024-01-01T00:00:00.000Z") },
  { city: "Delhi", population: 33.8 },
  { city: "Dublin", population: 1.3, when: "x" },
];
const creates = flow({ name: "creates" }, async () => {
  const start = nowMs();
  for (let i = 0; i < N; i++) await createTableArtifact(table(i), { key: `bench-${i % 100}`, description: "a small table" });
  return ((nowMs() - start) * 1000) / N;
});

function appendBaseline(file) {
  const start = nowMs();
  for (let i = 0; i < N; i++) {
    const event = { e: "artifact", id: crypto.randomUUID(), key: `bench-${i % 100}`, type: "table", description: "a small table", data: smallTable(i), flowRunId: "f", created: new Date().toISOString() };
    fs.appendFileSync(file, JSON.stringify(event) + "\n");
  }
  return ((nowMs() - start) * 1000) / N;
}

function insertBaseline(file) {
  const db = new SQL.Database();
  db.exec(`CREATE TABLE artifacts (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, key TEXT, type TEXT NOT NULL,
    description TEXT, data TEXT, flow_run_id TEXT, task_run_id TEXT, created TEXT NOT NULL, updated TEXT NOT NULL);
    CREATE INDEX artifacts_key ON artifacts (key, created, seq)`);
  const start = nowMs();
  db.exec("BEGIN");
  const stmt = db.prepare("INSERT INTO artifacts (id, key, type, description, data, flow_run_id, task_run_id, created, updated) VALUES (?, ?, 'table', ?, ?, 'f', NULL, ?, ?)");
  for (let i = 0; i < N; i++) {
    const t = new Date().toISOString();
    stmt.run([crypto.randomUUID(), `bench-${i % 100}`, "a small table", JSON.stringify(smallTable(i)), t, t]);
  }
  stmt.free();
  db.exec("COMMIT");
  fs.writeFileSync(file, db.export());
  const us = ((nowMs() - start) * 1000) / N;
  db.close();
  return us;
}

const store = await openStore(home);
const r = { create: [], append: [], fold: [], insert: [], dbBytes: 0 };
const scratch = tempDir();
for (let round = 0; round < ROUNDS; round++) {
  r.append.push(appendBaseline(path.join(scratch, `append-${round}.ndjson`)));
  r.create.push(await creates());
  const start = nowMs();
  const sync = await store.sync();
  r.fold.push(((nowMs() - start) * 1000) / N);
  if (sync.eventsFolded < N) throw new Error(`folded ${sync.eventsFolded} events, expected at least ${N}`);
  r.insert.push(insertBaseline(path.join(scratch, `insert-${round}.db`)));
}
const dataDir = path.join(home, "data");
r.dbBytes = fs.statSync(path.join(home, "flowline.db")).size + fs.readdirSync(dataDir).reduce((n, f) => n + fs.statSync(path.join(dataDir, f)).size, 0);
const stored = (await store.listArtifacts({ includeData: false })).length;
store.close();
if (stored !== N * ROUNDS) throw new Error(`stored ${stored} artifacts, expected ${N * ROUNDS}`);
// The first round warms the JIT and the page cache; it is left out.
const m = (list) => median(list.slice(1));
console.log(JSON.stringify({ n: N, rounds: ROUNDS, createUs: m(r.create), appendUs: m(r.append), foldUs: m(r.fold), insertUs: m(r.insert), lastFoldUs: r.fold[r.fold.length - 1], firstFoldUs: r.fold[0], stored }));
