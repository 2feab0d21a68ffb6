import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { journalDir } from "../../src/shared/home";
import { openStore } from "../../src/store";

// Scale checks for the store: a fold of 100,000 events is one write, and the latest version of every key is
// read from the index. The times are printed; the limits on them live in the benchmarks (bench/), where
// they are measured against a baseline in the same run, not here on a shared, noisy machine.

const T0 = Date.parse("2025-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function writeLines(home: string, lines: string[]): void {
  fs.mkdirSync(journalDir(home), { recursive: true });
  fs.writeFileSync(path.join(journalDir(home), `${process.pid}-0bench.ndjson`), lines.join("\n") + "\n");
}

/** A realistic mix: per flow run 20 task runs (created, Running, a log line, Completed) and 10 artifacts. */
function mixedEvents(count: number): string[] {
  const lines: string[] = [];
  let n = 0;
  for (let f = 0; lines.length < count; f++) {
    const fid = `0b5c6a7e-1f2a-4c3d-9e8f-${String(f).padStart(12, "0")}`;
    lines.push(JSON.stringify({ e: "flow_run", id: fid, name: `run-${f}`, flowName: "bench", parameters: { f }, tags: [], created: at(n), expectedStartTime: at(n), pid: 1 }));
    lines.push(JSON.stringify({ e: "state", kind: "flow", id: fid, type: "Running", name: "Running", ts: at(n++), runCount: 1 }));
    for (let t = 0; t < 20; t++) {
      const tid = `${fid}-t${t}`;
      lines.push(JSON.stringify({ e: "task_run", id: tid, flowRunId: fid, name: `hello-${t}`, taskName: "hello", parameters: { name: "world" }, tags: [], created: at(n) }));
      lines.push(JSON.stringify({ e: "state", kind: "task", id: tid, type: "Running", name: "Running", ts: at(n++), runCount: 1 }));
      lines.push(JSON.stringify({ e: "log", flowRunId: fid, taskRunId: tid, level: "INFO", message: `hello ${t}`, ts: at(n++) }));
      lines.push(JSON.stringify({ e: "state", kind: "task", id: tid, type: "Completed", name: "Completed", ts: at(n++), resultKey: `hello__${t}.json` }));
    }
    for (let a = 0; a < 10; a++) {
      lines.push(JSON.stringify({ e: "artifact", id: `${fid}-a${a}`, key: `key-${a}-${f % 100}`, type: "markdown", data: `# ${a}`, flowRunId: fid, created: at(n++) }));
    }
    lines.push(JSON.stringify({ e: "state", kind: "flow", id: fid, type: "Completed", name: "Completed", ts: at(n++) }));
  }
  return lines;
}

describe("store at scale", function () {
  this.timeout(30_000);
  const homes: string[] = [];
  const tmpHome = (): string => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-store-perf-"));
    homes.push(home);
    return home;
  };
  after(() => {
    for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
  });

  it("folds 100,000 events in one sync", async () => {
    const home = tmpHome();
    const lines = mixedEvents(100_000);
    writeLines(home, lines);
    const store = await openStore(home);
    try {
      const t = performance.now();
      const r = await store.sync();
      const ms = performance.now() - t;
      console.log(`      fold of ${r.eventsFolded} events, write included: ${ms.toFixed(0)} ms`);
      assert.equal(r.eventsFolded, lines.length);
      assert.equal(r.malformedLines, 0);
      const t2 = performance.now();
      assert.equal((await store.sync()).eventsFolded, 0);
      console.log(`      sync with nothing new: ${(performance.now() - t2).toFixed(0)} ms`);
      assert.equal((await store.getFlowRun("0b5c6a7e-1f2a-4c3d-9e8f-000000000007")).taskRuns.length, 20);
    } finally {
      store.close();
    }
  });

  it("lists the latest artifact of each of 1,000 keys over 100,000 artifacts, with each key's version count", async () => {
    const home = tmpHome();
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      lines.push(JSON.stringify({ e: "artifact", id: `a${i}`, key: `key-${i % 1000}`, type: "markdown", data: `# v${i}`, created: at(i >> 3) }));
    }
    writeLines(home, lines);
    const store = await openStore(home);
    try {
      await store.sync();
      let best = Infinity;
      let latest = await store.listArtifacts({ latestOnly: true });
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        latest = await store.listArtifacts({ latestOnly: true });
        best = Math.min(best, performance.now() - t);
      }
      console.log(`      latest of each key: ${best.toFixed(1)} ms (best of 5)`);
      assert.equal(latest.length, 1000);
      assert.equal(latest.find((a) => a.key === "key-7")?.id, "a99007");

      // Each key with its number of versions (the extension's Artifacts tree): counted on insert, not per listing.
      let keysBest = Infinity;
      let keys = await store.listArtifactKeys();
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        keys = await store.listArtifactKeys();
        keysBest = Math.min(keysBest, performance.now() - t);
      }
      console.log(`      keys with their version counts: ${keysBest.toFixed(1)} ms (best of 5)`);
      assert.equal(keys.length, 1000);
      assert.ok(keys.every((k) => k.versions === 100));
      assert.equal(keys.find((k) => k.key === "key-7")?.latest.id, "a99007");
    } finally {
      store.close();
    }
  });
});
