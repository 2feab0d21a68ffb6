import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "../../src/shared/events";
import { journalDir } from "../../src/shared/home";
import { JournalWriter } from "../../src/engine/journal";
import { openStore, type Store } from "../../src/store";

// The store's costs follow recent work, not history (issue 13): runs live in size-capped segments, a run's
// task runs and log lines in chunks, and a write touches only the segments it changes. These tests hold
// the behaviour that design promises: what a reader sees across segments and chunks, that a sync writes
// only what changed, that a run folded while it runs ends up whole, and that pruning gives space back.

const T0 = Date.parse("2025-03-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid as number;

function flowRun(id: string, created: string, extra: object = {}): EngineEvent {
  return { e: "flow_run", id, name: `run-${id}`, flowName: "f", parameters: {}, tags: [], created, expectedStartTime: created, pid: 1, ...extra } as EngineEvent;
}
function ended(kind: "flow" | "task", id: string, ts: string, type = "Completed"): EngineEvent[] {
  return [
    { e: "state", kind, id, type: "Running", name: "Running", ts, runCount: 1 },
    { e: "state", kind, id, type, name: type, ts, runCount: 1 },
  ] as EngineEvent[];
}

/** A finished journal of a dead writer (folded and then deleted by the next sync). */
function journal(home: string, events: EngineEvent[], tag = Math.random().toString(36).slice(2, 8)): void {
  fs.mkdirSync(journalDir(home), { recursive: true });
  const lines = [...events, { e: "close", ts: at(0) } as EngineEvent].map((e) => JSON.stringify(e));
  fs.writeFileSync(path.join(journalDir(home), `${deadPid()}-${tag}.ndjson`), `${lines.join("\n")}\n`);
}

function files(dir: string): Map<string, number> {
  return new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]));
}

describe("store layout: segments and chunks", function () {
  this.timeout(60_000);
  const homes: string[] = [];
  const stores: Store[] = [];
  const tmpHome = () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-layout-"));
    homes.push(home);
    return home;
  };
  const open = async (home: string) => {
    const s = await openStore(home);
    stores.push(s);
    return s;
  };
  let env: string | undefined;
  beforeEach(() => {
    env = process.env.FLOWLINE_SEGMENT_BYTES;
    process.env.FLOWLINE_SEGMENT_BYTES = String(128 * 1024); // small segments: a few hundred runs each
  });
  afterEach(() => {
    if (env === undefined) delete process.env.FLOWLINE_SEGMENT_BYTES;
    else process.env.FLOWLINE_SEGMENT_BYTES = env;
    for (const s of stores.splice(0)) s.close();
  });
  after(() => {
    for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
  });

  /** Folds `batches` journals one after another, each with `runs` runs of 3 artifacts and 2 task runs. */
  async function history(home: string, batches: number, runs: number): Promise<Store> {
    const store = await open(home);
    for (let b = 0; b < batches; b++) {
      const events: EngineEvent[] = [];
      for (let r = 0; r < runs; r++) {
        const i = b * runs + r;
        const id = `f${String(i).padStart(5, "0")}`;
        events.push(flowRun(id, at(i * 1000), { name: `run ${i} ${"·".repeat(100)}` }));
        for (let t = 0; t < 2; t++) {
          events.push({ e: "task_run", id: `${id}-t${t}`, flowRunId: id, name: `t-${t}`, taskName: "t", parameters: { i }, tags: [], created: at(i * 1000 + 1) });
          events.push(...ended("task", `${id}-t${t}`, at(i * 1000 + 2)));
        }
        for (let a = 0; a < 3; a++) events.push({ e: "artifact", id: `${id}-a${a}`, key: `key-${a}`, type: "markdown", data: `# ${i}.${a} ${"x".repeat(200)}`, flowRunId: id, created: at(i * 1000 + 3) } as EngineEvent);
        events.push(...ended("flow", id, at(i * 1000 + 4)));
      }
      journal(home, events, `b${b}`);
      await store.sync();
    }
    return store;
  }

  it("spreads history over segments; listings and a key's versions read across them in order", async () => {
    const home = tmpHome();
    const store = await history(home, 8, 150);
    const segments = fs.readdirSync(path.join(home, "data")).filter((f) => f.endsWith(".db"));
    assert.ok(segments.length >= 3, `${segments.length} segments`);
    const runs = await store.listFlowRuns({ limit: 1200 });
    assert.equal(runs.length, 1200);
    assert.deepEqual(runs.map((r) => r.id), [...runs.map((r) => r.id)].sort().reverse(), "newest first across segments");
    assert.deepEqual((await store.listFlowRuns({ limit: 3, offset: 600 })).map((r) => r.id), ["f00599", "f00598", "f00597"]);
    const versions = await store.getArtifactVersions("key-1", { includeData: false });
    assert.equal(versions.length, 1200);
    assert.ok(versions.every((v, i) => i === 0 || v.seq < versions[i - 1].seq), "newest (stored last) first");
    assert.equal(versions[0].id, "f01199-a1");
    assert.equal(versions[1199].id, "f00000-a1");
    assert.deepEqual((await store.listArtifactKeys()).map((k) => [k.key, k.versions, k.latest.id]), [
      ["key-2", 1200, "f01199-a2"],
      ["key-1", 1200, "f01199-a1"],
      ["key-0", 1200, "f01199-a0"],
    ]);
    const old = await store.getFlowRun("f00007");
    assert.deepEqual(old.taskRuns.map((t) => [t.name, t.state.name, t.parameters]), [["t-0", "Completed", { i: 7 }], ["t-1", "Completed", { i: 7 }]]);
    assert.equal((await store.getArtifact("f00007-a2"))?.data, `# 7.2 ${"x".repeat(200)}`);
    const bare = await store.getArtifact("f00007-a2", { includeData: false });
    assert.deepEqual([bare?.key, bare?.data], ["key-2", undefined], "found without its data");
    // Keys a page at a time (the tree and the quick pick show them so); the latest's data when asked.
    const page = await store.listArtifactKeys({ limit: 2, offset: 1, includeData: true });
    assert.deepEqual(page.map((k) => [k.key, k.latest.id, k.latest.data]), [
      ["key-1", "f01199-a1", `# 1199.1 ${"x".repeat(200)}`],
      ["key-0", "f01199-a0", `# 1199.0 ${"x".repeat(200)}`],
    ]);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true, limit: 1, offset: 2 })).map((a) => a.id), ["f01199-a0"]);
  });

  it("a sync writes only the segments it changed, and the index; older segments stay as they are", async () => {
    const home = tmpHome();
    const store = await history(home, 6, 150);
    const dir = path.join(home, "data");
    const before = files(dir);
    journal(home, [flowRun("new-one", at(10_000_000)), ...ended("flow", "new-one", at(10_000_001))], "new");
    const r = await store.sync();
    assert.equal(r.wrote, true);
    const after = files(dir);
    const changed = [...after.keys()].filter((f) => !before.has(f));
    const gone = [...before.keys()].filter((f) => !after.has(f));
    assert.equal(changed.length, 1, `one segment written (a new generation, or a new segment): ${changed.join(", ")}`);
    assert.ok(gone.length <= 1, `at most the generation it replaced: ${gone.join(", ")}`);
    for (const [f, mtime] of before) if (after.has(f)) assert.equal(after.get(f), mtime, `${f} untouched`);
    assert.equal((await store.listFlowRuns({ limit: 1 }))[0].id, "new-one");
  });

  it("a run folded while it runs, a few lines at a time, ends whole: task runs across chunks, states across folds", async () => {
    const home = tmpHome();
    const store = await open(home);
    const w = new JournalWriter(home);
    w.append(flowRun("live", at(0)));
    w.append({ e: "state", kind: "flow", id: "live", type: "Running", name: "Running", ts: at(1), runCount: 1 });
    // 2,500 task runs: three chunks. Some are created in one fold and finish in a later one; every fold
    // also adds a log line.
    const N = 2500;
    for (let i = 0; i < N; i++) {
      const id = `t${i}`;
      w.append({ e: "task_run", id, flowRunId: "live", name: `t-${i}`, taskName: "t", parameters: { i }, tags: [], created: at(10 + i) });
      w.append({ e: "state", kind: "task", id, type: "Running", name: "Running", ts: at(10 + i), runCount: 1 });
      if (i >= 5) {
        const done = `t${i - 5}`;
        w.append({ e: "state", kind: "task", id: done, type: i % 97 === 0 ? "Failed" : "Completed", name: i % 97 === 0 ? "Failed" : "Completed", ts: at(10 + i), runCount: 1 });
      }
      if (i % 400 === 0) {
        w.append({ e: "log", flowRunId: "live", taskRunId: id, level: "INFO", message: `at ${i}`, ts: at(10 + i) });
        w.flushSync();
        await store.sync();
        const seen = await store.getFlowRun("live", { taskLimit: 0 });
        assert.equal(seen.flowRun.taskRunCounts.total, i + 1, "every task run created so far is listed");
      }
    }
    for (let i = N - 5; i < N; i++) w.append({ e: "state", kind: "task", id: `t${i}`, type: "Completed", name: "Completed", ts: at(10 + N), runCount: 1 });
    w.append({ e: "state", kind: "flow", id: "live", type: "Failed", name: "Failed", ts: at(20 + N), runCount: 1 });
    w.close();
    await store.sync();

    const run = (await store.getFlowRun("live", { taskLimit: 0 })).flowRun;
    const failed = Array.from({ length: N - 5 }, (_, i) => i + 5).filter((i) => i % 97 === 0).length;
    assert.deepEqual(run.taskRunCounts, { total: N, byState: { Completed: N - failed, Failed: failed } });
    const all = await store.listTaskRuns("live", { limit: N });
    assert.deepEqual(all.map((t) => t.name), Array.from({ length: N }, (_, i) => `t-${i}`), "creation order, across chunks");
    assert.ok(all.every((t) => t.startTime && t.endTime));
    const page = await store.listTaskRuns("live", { offset: 1998, limit: 4 });
    assert.deepEqual(page.map((t) => t.name), ["t-1998", "t-1999", "t-2000", "t-2001"], "a page across a chunk boundary");
    const onlyFailed = await store.listTaskRuns("live", { state: "Failed", limit: 100 });
    assert.equal(onlyFailed.length, failed);
    assert.equal(onlyFailed[0].name, `t-${97 - 5}`);
    const history2 = await store.getStateHistory("t1234", "live");
    assert.deepEqual(history2.map((h) => h.name), ["Pending", "Running", "Completed"]);
    assert.deepEqual((await store.getLogs({ flowRunId: "live" })).map((l) => l.message), ["at 0", "at 400", "at 800", "at 1200", "at 1600", "at 2000", "at 2400"]);
    assert.equal((await store.getTaskRun("live", "t2499"))?.state.name, "Completed");
  });

  it("pruning old history deletes its segments' files and gives the space back", async () => {
    const home = tmpHome();
    const store = await history(home, 8, 150);
    const dir = path.join(home, "data");
    const size = () => [...files(dir).keys()].reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const before = size();
    const segmentsBefore = fs.readdirSync(dir).filter((f) => f.endsWith(".db")).length;
    // Runs f00000..f00599 ended before T0 + 600 s; cut there.
    const cut = (Date.now() - (T0 + 600_000 - 1)) / 86_400_000;
    const r = await store.prune({ olderThanDays: cut });
    assert.equal(r.flowRuns, 600);
    assert.equal(r.taskRuns, 1200);
    assert.equal(r.artifacts, 1800);
    const segmentsAfter = fs.readdirSync(dir).filter((f) => f.endsWith(".db")).length;
    assert.ok(segmentsAfter < segmentsBefore, `${segmentsBefore} → ${segmentsAfter} segments`);
    assert.ok(size() < before * 0.65, `${before} → ${size()} bytes`);
    assert.equal((await store.listFlowRuns({ limit: 2000 })).length, 600);
    assert.deepEqual((await store.listArtifactKeys()).map((k) => k.versions), [600, 600, 600]);
    assert.equal((await store.getFlowRun("f00600")).taskRuns.length, 2, "what stays is whole");
  });

  it("prune with results deletes the result files of the pruned runs, except those a live cache entry uses", async () => {
    const home = tmpHome();
    const storage = path.join(home, "storage");
    fs.mkdirSync(path.join(storage, "deep"), { recursive: true });
    for (const f of ["a.json", "deep/b.json", "cached.json", "kept.json"]) fs.writeFileSync(path.join(storage, f), "{}");
    fs.mkdirSync(path.join(home, "cache", "keys"), { recursive: true });
    fs.writeFileSync(path.join(home, "cache", "keys", "x.json"), JSON.stringify({ cacheKey: "k", storageKey: "cached.json", created: at(0) }));
    const store = await open(home);
    journal(home, [
      flowRun("old", at(0)),
      { e: "task_run", id: "old-t", flowRunId: "old", name: "t", taskName: "t", parameters: {}, tags: [], created: at(1) } as EngineEvent,
      { e: "state", kind: "task", id: "old-t", type: "Completed", name: "Completed", ts: at(2), resultKey: "deep/b.json" } as EngineEvent,
      { e: "task_run", id: "old-c", flowRunId: "old", name: "c", taskName: "c", parameters: {}, tags: [], created: at(1) } as EngineEvent,
      { e: "state", kind: "task", id: "old-c", type: "Completed", name: "Cached", ts: at(2), resultKey: "cached.json" } as EngineEvent,
      { e: "state", kind: "flow", id: "old", type: "Completed", name: "Completed", ts: at(3), resultKey: "a.json" } as EngineEvent,
      flowRun("escape", at(0)),
      { e: "state", kind: "flow", id: "escape", type: "Completed", name: "Completed", ts: at(3), resultKey: "../outside.json" } as EngineEvent,
    ]);
    fs.writeFileSync(path.join(home, "outside.json"), "{}");
    await store.sync();
    const r = await store.prune({ all: true, results: true });
    assert.equal(r.flowRuns, 2);
    assert.equal(r.resultFiles, 2);
    assert.equal(fs.existsSync(path.join(storage, "a.json")), false);
    assert.equal(fs.existsSync(path.join(storage, "deep", "b.json")), false);
    assert.equal(fs.existsSync(path.join(storage, "cached.json")), true, "a live cache entry still points at it");
    assert.equal(fs.existsSync(path.join(storage, "kept.json")), true, "no pruned run named it");
    assert.equal(fs.existsSync(path.join(home, "outside.json")), true, "never outside the storage folder");
  });
});
