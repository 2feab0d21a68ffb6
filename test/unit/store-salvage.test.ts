import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { journalDir } from "../../src/shared/home";
import { openStore } from "../../src/store";

// A damaged segment database is salvaged, not replaced: every row that can still be read goes into a new
// file, the message says how many were kept and lost, and the damaged original stays beside it. (A damaged
// index is rebuilt from the segments instead: store.test.ts.)

const TABLES = ["flow_runs", "flow_states", "task_chunks", "log_chunks", "artifacts", "seg_meta", "seg_journals"];

/** The segment database file of a home that has one segment. */
function segmentFile(home: string): string {
  const dir = path.join(home, "data");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".db"));
  assert.equal(files.length, 1, files.join(", "));
  return path.join(dir, files[0]);
}

/** Rows of the segment's tables (of one flow run and its journal only, with `runId`). */
async function rowCount(bytes: Uint8Array, runId?: string): Promise<{ rows: number; check: string; artifacts: number }> {
  const SQL = await (await import("sql.js")).default();
  const db = new SQL.Database(bytes);
  try {
    const where: Record<string, string> = runId === undefined ? {} : {
      flow_runs: `id = '${runId}'`,
      flow_states: `run_id = '${runId}'`,
      seg_journals: `name = (SELECT journal FROM flow_runs WHERE id = '${runId}')`,
    };
    const count = (t: string) => (runId !== undefined && !where[t] ? 0 : Number(db.exec(`SELECT count(*) FROM ${t}${where[t] ? ` WHERE ${where[t]}` : ""}`)[0].values[0][0]));
    return { rows: TABLES.reduce((n, t) => n + count(t), 0), check: String(db.exec("PRAGMA quick_check")[0].values[0][0]), artifacts: count("artifacts") };
  } finally {
    db.close();
  }
}

/** A segment of thousands of rows: 1,000 finished runs with 3 log lines each, and 2,000 artifacts. */
async function populated(home: string): Promise<Buffer> {
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  const ts = "2025-01-01T00:00:00.000Z";
  const lines: string[] = [];
  for (let r = 0; r < 1000; r++) {
    lines.push(JSON.stringify({ e: "flow_run", id: `run${r}`, name: `run ${r} ${"n".repeat(80)}`, flowName: "f", parameters: {}, tags: [], created: ts, expectedStartTime: ts, pid: dead }));
    for (let i = 0; i < 3; i++) lines.push(JSON.stringify({ e: "log", flowRunId: `run${r}`, level: "INFO", message: `line ${i} ${"x".repeat(100)}`, ts }));
  }
  for (let i = 0; i < 2000; i++) lines.push(JSON.stringify({ e: "artifact", id: `a${i}`, key: `k-${i % 20}`, type: "markdown", data: `artifact ${i} ${"y".repeat(200)}`, flowRunId: `run${i % 1000}`, created: ts }));
  lines.push(JSON.stringify({ e: "close", ts }));
  fs.mkdirSync(journalDir(home), { recursive: true });
  fs.writeFileSync(path.join(journalDir(home), `${dead}-0a0b0c.ndjson`), `${lines.join("\n")}\n`);
  (await openStore(home, { sync: true })).close();
  assert.deepEqual(fs.readdirSync(journalDir(home)), [], "everything is in the database now");
  return fs.readFileSync(segmentFile(home));
}

/**
 * Overwrites page `page` (0-based) of the segment with garbage, then makes a write into it (a new run): the
 * warning, and the counts it gives.
 */
async function damageAndOpen(home: string, good: Buffer, page: number): Promise<{ damaged: Buffer; warnings: string[]; m: RegExpExecArray | null; file: string }> {
  const pageSize = good.readUInt16BE(16) === 1 ? 65536 : good.readUInt16BE(16);
  const damaged = Buffer.from(good);
  for (let i = 0; i < pageSize; i++) damaged[page * pageSize + i] = (i * 7919 + 13) & 0xff;
  const file = segmentFile(home);
  fs.writeFileSync(file, damaged);
  const ts = "2025-01-02T00:00:00.000Z";
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  fs.writeFileSync(path.join(journalDir(home), `${dead}-0d0e0f.ndjson`), `${JSON.stringify({ e: "flow_run", id: "later", name: "later", flowName: "f", parameters: {}, tags: [], created: ts, expectedStartTime: ts, pid: dead })}\n`);
  const warnings: string[] = [];
  (await openStore(home, { onWarning: (w) => warnings.push(w), sync: true })).close();
  const m = /Salvaged it: recovered ([\d,]+) of ([\d,]+) rows \(((?:[\d,]+ lost: [^)]+)|none lost)\) into a new database at (\S+); the damaged original is kept at (\S+)\./.exec(warnings[0] ?? "");
  return { damaged, warnings, m, file };
}

const num = (text: string) => Number(text.replace(/,/g, ""));

describe("store salvage", function () {
  this.timeout(60_000);
  const homes: string[] = [];
  const tmpHome = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-salvage-"));
    homes.push(home);
    return home;
  };
  after(() => {
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  });

  it("one bad page in the middle of a database of thousands of rows: most rows survive, the counts are told, the original stays", async () => {
    const home = tmpHome();
    const good = await populated(home);
    const before = await rowCount(good);
    assert.ok(before.rows > 5000, `${before.rows} rows`);
    const pageSize = good.readUInt16BE(16) === 1 ? 65536 : good.readUInt16BE(16);
    // The table-leaf page (b-tree page type 13: it holds rows) nearest the middle of the file.
    const pages = good.length / pageSize;
    const isLeaf = (p: number) => p > 0 && p < pages && good[p * pageSize] === 0x0d;
    let page = Math.floor(pages / 2);
    for (let d = 0; !isLeaf(page); d++) page = Math.floor(pages / 2) + (d % 2 ? -1 : 1) * Math.ceil(d / 2);

    const { damaged, warnings, m, file } = await damageAndOpen(home, good, page);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.ok(m, warnings[0]);
    const [recovered, total, lost] = [num(m[1]), num(m[2]), m[3] === "none lost" ? 0 : num(m[3].split(" ")[0])];
    const after = await rowCount(fs.readFileSync(segmentFile(home)));
    assert.equal(after.check, "ok", "the new file is sound");
    assert.equal(total, before.rows, "the total is every row the file had");
    // What the new file holds: the rows recovered, and the rows of the run written after (its row, its state)
    // and of its journal's position.
    const later = await rowCount(fs.readFileSync(segmentFile(home)), "later");
    assert.equal(recovered, after.rows - later.rows, `the recovered count is what the new file holds, besides the later run's ${later.rows} rows`);
    assert.equal(recovered + lost, total);
    assert.ok(lost > 0, "the bad page held rows");
    assert.ok(recovered >= total * 0.9, `most rows survive: ${recovered} of ${total}`);
    console.log(`      page ${page + 1} of ${pages} damaged: ${recovered} of ${total} rows recovered, ${lost} lost`);
    assert.equal(m[4], file);
    assert.deepEqual(fs.readFileSync(m[5]), damaged, "the damaged original is kept byte for byte");

    const reopened = await openStore(home, { sync: true });
    assert.equal(reopened.warnings.length, 0, "salvaged once");
    assert.equal((await reopened.listArtifacts({ latestOnly: true })).length, 20, "each key keeps a latest version");
    assert.equal((await reopened.listFlowRuns())[0].id, "later", "and it goes on working");
    reopened.close();
  });

  it("a bad page that lists other pages (the artifact table's root) loses none of the rows below it: they are read from the leaves", async () => {
    const home = tmpHome();
    const good = await populated(home);
    const before = await rowCount(good);
    const SQL = await (await import("sql.js")).default();
    const db = new SQL.Database(good);
    const root = Number(db.exec("SELECT rootpage FROM sqlite_master WHERE name = 'artifacts'")[0].values[0][0]);
    db.close();
    const pageSize = good.readUInt16BE(16);
    assert.equal(good[(root - 1) * pageSize], 0x05, "an interior table page: it lists the artifact table's leaves");

    const { warnings, m } = await damageAndOpen(home, good, root - 1);
    assert.ok(m, warnings[0]);
    assert.equal(m[3], "none lost", warnings[0]);
    assert.equal(num(m[1]), before.rows);
    const store = await openStore(home);
    assert.equal((await store.listArtifacts()).length, 2000);
    assert.equal((await store.getArtifact("a1999"))?.data, `artifact 1999 ${"y".repeat(200)}`);
    assert.equal((await store.getLogs({ flowRunId: "run999" }))[2].message, `line 2 ${"x".repeat(100)}`);
    store.close();
  });
});
