import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { exited, FIXTURES, readLines, readStoreFiles, rng, SEED, sleep, startScript, summary, syncedArtifactIds, tempDir, waitFor } from "./helpers";

// No reader ever sees a torn database file. A process that loops store.sync() and deletes on a big store
// (5,000 artifacts of ~0.5 KB, a few MB) is SIGKILLed at seeded random moments, most of them while it exports,
// writes, fsyncs or renames the file. After every kill the file on disk must open with sql.js alone and
// pass quick_check; at the end every acknowledged artifact is there unless its deletion was requested,
// and every acknowledged deletion stuck.

const TRIALS = Number(process.env.FAULT_WRITER_TRIALS ?? 12);
const SEED_ARTIFACTS = Number(process.env.FAULT_WRITER_SEED ?? 5_000);
const WRITER = path.join(FIXTURES, "store-writer.ts");

describe("faults: kill -9 of the process writing the database file", function () {
  this.timeout(180_000);
  let root = "";
  after(() => root && fs.rmSync(root, { recursive: true, force: true }));

  it(`never tears the file and loses nothing acknowledged over ${TRIALS} kills (seed ${SEED})`, async () => {
    root = tempDir("dbwriter");
    const home = path.join(root, ".flowline");
    const seed = await exited(startScript(WRITER, [home, "seed", String(SEED_ARTIFACTS)]));
    assert.equal(seed.code, 0, seed.stderr);
    const log = (m: string) => process.env.FAULT_VERBOSE && console.log(m);
    log(`seeded`);
    const size = fs.statSync(path.join(home, "flowline.db")).size;
    const random = rng(SEED + 1);
    let checks = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const writer = startScript(WRITER, [home, "loop"]);
      log(`trial ${trial}: writer ${writer.pid} ${root}`);
      const end = exited(writer);
      await waitFor(() => fs.existsSync(path.join(root, `writer-${writer.pid}.ready`)) || writer.exitCode !== null, 60_000, "the writer");
      if (writer.exitCode !== null) assert.fail(`the writer ended by itself: ${(await end).stderr}`);
      await sleep(50 + Math.floor(random() * 400));
      log(`trial ${trial}: kill`);
      writer.kill("SIGKILL");
      const how = await end;
      assert.equal(how.signal, "SIGKILL", how.stderr);
      // The files as a reader finds them right after the kill: whole, never half written.
      assert.equal((await readStoreFiles(home, "SELECT 1")).check, "ok", `trial ${trial}: quick_check right after the kill`);
      checks++;
    }
    const acked = readLines(path.join(root, "acked.txt"));
    const deleting = new Set(readLines(path.join(root, "deleting.txt")));
    const deleted = readLines(path.join(root, "deleted.txt"));
    const stored = await syncedArtifactIds(home);
    assert.equal(stored.check, "ok");
    assert.equal(stored.rows, stored.ids.size, "no artifact stored twice");
    const lost = acked.filter((id) => !stored.ids.has(id) && !deleting.has(id));
    assert.deepEqual(lost, [], "acknowledged artifacts lost");
    const back = deleted.filter((id) => stored.ids.has(id));
    assert.deepEqual(back, [], "acknowledged deletions undone");
    assert.deepEqual(stored.warnings.filter((w) => /damaged|moved/.test(w)), [], "the file was never found damaged");
    const leftovers = fs.readdirSync(home).filter((n) => n.includes(".tmp-"));
    assert.deepEqual(leftovers, [], "the next sync removes temp files of killed writers");
    summary("kill-db-writer", {
      trials: TRIALS,
      faultsInjected: TRIALS,
      dbBytes: size,
      quickChecksOk: checks,
      acknowledgedWritesChecked: acked.length + deleted.length,
      writesLost: lost.length + back.length,
      tempFilesLeft: leftovers.length,
      seed: SEED,
    });
  });
});
