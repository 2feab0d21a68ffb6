import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dbPath, journalDir } from "../../src/shared/home";
import { openStore } from "../../src/store";

// A damaged database is salvaged, not replaced: every row that can still be read goes into a new file,
// the message says how many were kept and lost, and the damaged original stays beside it.

const TABLES = ["flow_runs", "task_runs", "state_history", "logs", "artifacts", "cache", "journals", "meta"];

async function rowCount(bytes: Uint8Array): Promise<{ rows: number; check: string; artifacts: number }> {
  const SQL = await (await import("sql.js")).default();
  const db = new SQL.Database(bytes);
  try {
    const count = (t: string) => Number(db.exec(`SELECT count(*) FROM ${t}`)[0].values[0][0]);
    return { rows: TABLES.reduce((n, t) => n + count(t), 0), check: String(db.exec("PRAGMA quick_check")[0].values[0][0]), artifacts: count("artifacts") };
  } finally {
    db.close();
  }
}

/** A database of thousands of rows: one finished run with 3,000 log lines and 2,000 artifacts. */
async function populated(home: string): Promise<Buffer> {
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  const ts = "2025-01-01T00:00:00.000Z";
  const lines = [JSON.stringify({ e: "flow_run", id: "run", name: "run", flowName: "f", parameters: {}, tags: [], created: ts, expectedStartTime: ts, pid: dead })];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ e: "log", flowRunId: "run", level: "INFO", message: `line ${i} ${"x".repeat(100)}`, ts }));
  for (let i = 0; i < 2000; i++) lines.push(JSON.stringify({ e: "artifact", id: `a${i}`, key: `k-${i % 20}`, type: "markdown", data: `artifact ${i} ${"y".repeat(200)}`, flowRunId: "run", created: ts }));
  lines.push(JSON.stringify({ e: "close", ts }));
  fs.mkdirSync(journalDir(home), { recursive: true });
  fs.writeFileSync(path.join(journalDir(home), `${dead}-0a0b0c.ndjson`), `${lines.join("\n")}\n`);
  (await openStore(home, { sync: true })).close();
  assert.deepEqual(fs.readdirSync(journalDir(home)), [], "everything is in the database now");
  return fs.readFileSync(dbPath(home));
}

/** Overwrites page `page` (0-based) with garbage, writes the file, opens it: the warning, and the counts it gives. */
async function damageAndOpen(home: string, good: Buffer, page: number): Promise<{ damaged: Buffer; warnings: string[]; m: RegExpExecArray | null }> {
  const pageSize = good.readUInt16BE(16) === 1 ? 65536 : good.readUInt16BE(16);
  const damaged = Buffer.from(good);
  for (let i = 0; i < pageSize; i++) damaged[page * pageSize + i] = (i * 7919 + 13) & 0xff;
  fs.writeFileSync(dbPath(home), damaged);
  const warnings: string[] = [];
  (await openStore(home, { onWarning: (w) => warnings.push(w) })).close();
  const m = /Salvaged it: recovered ([\d,]+) of ([\d,]+) rows \(((?:[\d,]+ lost: [^)]+)|none lost)\) into a new database at (\S+); the damaged original is kept at (\S+)\./.exec(warnings[0] ?? "");
  return { damaged, warnings, m };
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

    const { damaged, warnings, m } = await damageAndOpen(home, good, page);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.ok(m, warnings[0]);
    const [recovered, total, lost] = [num(m[1]), num(m[2]), m[3] === "none lost" ? 0 : num(m[3].split(" ")[0])];
    const after = await rowCount(fs.readFileSync(dbPath(home)));
    assert.equal(after.check, "ok", "the new file is sound");
    assert.equal(total, before.rows, "the total is every row the file had");
    assert.equal(recovered, after.rows, "the recovered count is what the new file holds");
    assert.equal(recovered + lost, total);
    assert.ok(lost > 0, "the bad page held rows");
    assert.ok(recovered >= total * 0.9, `most rows survive: ${recovered} of ${total}`);
    console.log(`      page ${page + 1} of ${pages} damaged: ${recovered} of ${total} rows recovered, ${lost} lost`);
    assert.equal(m[4], dbPath(home));
    assert.deepEqual(fs.readFileSync(m[5]), damaged, "the damaged original is kept byte for byte");

    const reopened = await openStore(home);
    assert.equal(reopened.warnings.length, 0, "salvaged once");
    assert.equal(reopened.listArtifacts({ latestOnly: true }).length, 20, "each key keeps a latest version");
    reopened.close();
  });

  it("a bad page that lists other pages (the log table's root) loses none of the rows below it: they are read from the leaves", async () => {
    const home = tmpHome();
    const good = await populated(home);
    const before = await rowCount(good);
    const SQL = await (await import("sql.js")).default();
    const db = new SQL.Database(good);
    const root = Number(db.exec("SELECT rootpage FROM sqlite_master WHERE name = 'logs'")[0].values[0][0]);
    db.close();
    const pageSize = good.readUInt16BE(16);
    assert.equal(good[(root - 1) * pageSize], 0x05, "an interior table page: it lists the log table's leaves");

    const { warnings, m } = await damageAndOpen(home, good, root - 1);
    assert.ok(m, warnings[0]);
    assert.equal(m[3], "none lost", warnings[0]);
    assert.equal(num(m[1]), before.rows);
    const store = await openStore(home);
    assert.equal(store.getLogs({ flowRunId: "run" }).length, 3000);
    assert.equal(store.getLogs({ flowRunId: "run" })[2999].message, `line 2999 ${"x".repeat(100)}`);
    store.close();
  });
});
