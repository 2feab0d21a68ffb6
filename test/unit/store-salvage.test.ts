import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dbPath, journalDir } from "../../src/engine/home";
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

describe("store salvage", function () {
  this.timeout(60_000);
  let home = "";
  after(() => home && fs.rmSync(home, { recursive: true, force: true }));

  it("one bad page in the middle of a database of thousands of rows: most rows survive, the counts are told, the original stays", async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-salvage-"));
    // A finished journal of a process that has exited: 3,000 log lines and 2,000 artifacts of one run.
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

    const good = fs.readFileSync(dbPath(home));
    const before = await rowCount(good);
    assert.ok(before.rows > 5000, `${before.rows} rows`);
    const pageSize = good.readUInt16BE(16) === 1 ? 65536 : good.readUInt16BE(16);
    // The table-leaf page (b-tree page type 13: it holds rows) nearest the middle of the file.
    const pages = good.length / pageSize;
    const isLeaf = (p: number) => p > 0 && p < pages && good[p * pageSize] === 0x0d;
    let page = Math.floor(pages / 2);
    for (let d = 0; !isLeaf(page); d++) page = Math.floor(pages / 2) + (d % 2 ? -1 : 1) * Math.ceil(d / 2);
    const damaged = Buffer.from(good);
    for (let i = 0; i < pageSize; i++) damaged[page * pageSize + i] = (i * 7919 + 13) & 0xff;
    fs.writeFileSync(dbPath(home), damaged);

    const warnings: string[] = [];
    const store = await openStore(home, { onWarning: (m) => warnings.push(m) });
    store.close();
    assert.equal(warnings.length, 1, warnings.join("\n"));
    const m = /Salvaged it: recovered ([\d,]+) of ([\d,]+) rows \(([\d,]+) lost: [^)]+\) into a new database at (\S+); the damaged original is kept at (\S+)\./.exec(warnings[0]);
    assert.ok(m, warnings[0]);
    const [recovered, total, lost] = [m[1], m[2], m[3]].map((n) => Number(n.replace(/,/g, "")));
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
});
