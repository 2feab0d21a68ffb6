import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { exited, FIXTURES, readLines, startScript, summary, syncedArtifactIds, tempDir } from "./helpers";

// Several processes write one store at once and no write is lost. Four processes create artifacts (syncing
// every 50), a fifth deletes some of them, a sixth applies retention (prune older than 30 days) over 200
// old artifacts seeded beforehand. At the end: every acknowledged artifact is present unless its deletion
// was requested; every acknowledged deletion and every old artifact is gone; nothing is stored twice.

const WRITER = path.join(FIXTURES, "store-writer.ts");
const PER_WRITER = Number(process.env.FAULT_CONCURRENT_N ?? 300);
const OLD = 200;

describe("faults: four writers, a deleter and a pruner at once", function () {
  this.timeout(180_000);
  let root = "";
  after(() => root && fs.rmSync(root, { recursive: true, force: true }));

  it("counts add up: nothing lost, nothing duplicated, deletions and retention applied", async () => {
    root = tempDir("concurrent");
    const home = path.join(root, ".flowline");
    // 200 artifacts from 2020 in the journal of a process that ended cleanly (its pid is gone).
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    fs.mkdirSync(path.join(home, "journal"), { recursive: true });
    const oldIds = Array.from({ length: OLD }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const lines = oldIds.map((id, i) => JSON.stringify({ e: "artifact", id, type: "markdown", data: `old ${i}`, key: `old-${i % 5}`, created: "2020-01-01T00:00:00.000Z" }));
    fs.writeFileSync(path.join(home, "journal", `${deadPid}-seed.ndjson`), `${lines.join("\n")}\n${JSON.stringify({ e: "close", ts: "2020-01-01T00:00:01.000Z" })}\n`);

    const writers = [1, 2, 3, 4].map((tag) => exited(startScript(WRITER, [home, "burst", String(PER_WRITER), String(tag)])));
    const deleter = exited(startScript(WRITER, [home, "delete"]));
    const pruner = exited(startScript(WRITER, [home, "prune"]));
    for (const w of await Promise.all(writers)) assert.equal(w.code, 0, w.stderr);
    fs.writeFileSync(path.join(root, "stop.txt"), "");
    for (const p of [await deleter, await pruner]) assert.equal(p.code, 0, p.stderr);

    const acked = [1, 2, 3, 4].flatMap((t) => readLines(path.join(root, `acked-${t}.txt`)));
    const deleting = new Set(readLines(path.join(root, "deleting.txt")));
    const deleted = readLines(path.join(root, "deleted.txt"));
    const stored = await syncedArtifactIds(home);
    assert.equal(stored.check, "ok");
    assert.equal(acked.length, 4 * PER_WRITER);
    assert.equal(stored.rows, stored.ids.size, "an artifact stored twice");
    const lost = acked.filter((id) => !stored.ids.has(id) && !deleting.has(id));
    assert.deepEqual(lost, [], "acknowledged artifacts lost");
    assert.deepEqual(deleted.filter((id) => stored.ids.has(id)), [], "acknowledged deletions undone");
    assert.deepEqual(oldIds.filter((id) => stored.ids.has(id)), [], "old artifacts survived retention");
    const pruned = Number(fs.readFileSync(path.join(root, "pruned.txt"), "utf8"));
    // Every stored artifact is one a writer acknowledged; the counts add up exactly.
    assert.equal(stored.ids.size, acked.length - deleted.length);
    assert.equal(deleting.size, deleted.length, "every requested deletion found its artifact");
    summary("concurrent", {
      trials: 1,
      faultsInjected: 0,
      processes: 6,
      acknowledgedWritesChecked: acked.length + deleted.length + OLD,
      created: acked.length,
      deleted: deleted.length,
      prunedByRetention: pruned,
      stored: stored.ids.size,
      writesLost: lost.length,
      duplicates: stored.rows - stored.ids.size,
    });
  });
});
