import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "../../src/shared/events";
import { dbPath, journalDir } from "../../src/shared/home";
import { JournalWriter } from "../../src/engine/journal";
import { openStore, StoreLookupError, type Store } from "../../src/store";
import { loadSqlJs } from "../../src/store/sqljs";
import { fileSignature } from "../../src/store/atomic-file";
import type { FlowRun } from "../../src/store";
import { layoutOneDatabase } from "./helpers/schema-1.0";

// The store against real files and real processes: journals written by JournalWriter or by child
// processes, the lock contended by several node processes, damaged and too-new database files.

const ROOT = path.resolve(__dirname, "../..");
const TSX = require.resolve("tsx/cjs");

const homes: string[] = [];
function tmpHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-store-"));
  homes.push(home);
  return home;
}

const T0 = Date.parse("2025-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

function flowRun(id: string, extra: Partial<EngineEvent & { e: "flow_run" }> = {}): EngineEvent {
  return {
    e: "flow_run",
    id,
    name: `run-${id}`,
    flowName: "my-flow",
    parameters: { n: 1 },
    tags: ["t"],
    created: at(0),
    expectedStartTime: at(0),
    pid: process.pid,
    ...extra,
  };
}

function taskRun(id: string, flowRunId: string): EngineEvent {
  return { e: "task_run", id, flowRunId, name: `${id}-0`, taskName: "hello", parameters: { name: "x" }, tags: [], created: at(1) };
}

function state(kind: "flow" | "task", id: string, type: string, ts = at(2), extra: object = {}): EngineEvent {
  return { e: "state", kind, id, type, name: type, ts, ...extra } as EngineEvent;
}

/** Writes a journal as another process would: one JSON line per event, named after `pid`. */
function writeJournal(home: string, pid: number, events: EngineEvent[], name = "aaaaaa"): string {
  fs.mkdirSync(journalDir(home), { recursive: true });
  const file = path.join(journalDir(home), `${pid}-${name}.ndjson`);
  fs.appendFileSync(file, events.map((e) => JSON.stringify(e) + "\n").join(""));
  return file;
}

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  return r.pid as number;
}

/** Runs `code` in a child node; resolves with its pid once it exited (0), rejects otherwise. */
function runChild(code: string, args: string[] = [], withTsx = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const argv = [...(withTsx ? ["--require", TSX] : []), "-e", code, ...args];
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(child.pid as number) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

/** A child that appends `events` to its own journal (named with its pid) and exits, closing it or not. */
function childWritingJournal(home: string, events: EngineEvent[], close: boolean): Promise<number> {
  const code = `
    const fs = require("fs"), path = require("path");
    const [dir, eventsJson, close] = process.argv.slice(1);
    const file = path.join(dir, process.pid + "-c0ffee.ndjson");
    const lines = JSON.parse(eventsJson).map((e) => JSON.stringify(e) + "\\n");
    if (close === "1") lines.push(JSON.stringify({ e: "close", ts: new Date().toISOString() }) + "\\n");
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(file, lines.join(""));
  `;
  return runChild(code, [journalDir(home), JSON.stringify(events), close ? "1" : "0"]);
}

describe("store", function () {
  this.timeout(20_000);
  const open: Store[] = [];
  async function openTracked(home: string, opts?: Parameters<typeof openStore>[1]): Promise<Store> {
    const s = await openStore(home, opts);
    open.push(s);
    return s;
  }
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(() => {
    for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
  });

  it("folds a JournalWriter journal exactly once across repeated syncs, then removes it when closed", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    const w = new JournalWriter(home);
    w.append(flowRun("f1"));
    w.append(state("flow", "f1", "Running", at(2), { runCount: 1 }));
    w.append(taskRun("t1", "f1"));
    w.append(state("task", "t1", "Running", at(3)));
    w.append({ e: "log", taskRunId: "t1", level: "INFO", message: "from the task", ts: at(4) });
    w.append({ e: "log", flowRunId: "f1", level: "WARNING", message: "from the flow", ts: at(5) });
    w.append(state("task", "t1", "Completed", at(6), { resultKey: "hello__x.json" }));
    w.flushSync();

    const first = await store.sync();
    assert.equal(first.eventsFolded, 7);
    assert.equal(first.journalsRemoved, 0, "the writer is alive and has not closed");
    assert.equal((await store.sync()).eventsFolded, 0, "a second sync folds nothing new");

    w.append(state("flow", "f1", "Completed", at(7), { result: { ok: true }, resultKey: "flow.json" }));
    w.close();
    const last = await store.sync();
    assert.equal(last.eventsFolded, 2, "the state and the closing line");
    assert.equal(last.journalsRemoved, 1);
    assert.equal(fs.existsSync(w.file), false);

    const detail = await store.getFlowRun("f1");
    assert.deepEqual(detail.flowRun.state, { type: "Completed", name: "Completed", message: undefined });
    assert.equal(detail.flowRun.startTime, at(2));
    assert.equal(detail.flowRun.endTime, at(7));
    assert.equal(detail.flowRun.runCount, 1);
    assert.deepEqual(detail.flowRun.result, { ok: true });
    assert.deepEqual(detail.flowRun.parameters, { n: 1 });
    assert.deepEqual(detail.flowRun.tags, ["t"]);
    assert.equal(detail.taskRuns.length, 1);
    assert.equal(detail.taskRuns[0].state.type, "Completed");
    assert.equal(detail.taskRuns[0].resultKey, "hello__x.json");
    assert.deepEqual(
      (await store.getStateHistory("t1", "f1")).map((h) => h.type),
      ["Pending", "Running", "Completed"],
      "a run's creation is its Pending state",
    );
    const logs = await store.getLogs({ flowRunId: "f1" });
    assert.deepEqual(logs.map((l) => l.message), ["from the task", "from the flow"]);
    assert.equal(logs[0].flowRunId, "f1", "a task's line is filed under its flow run");
    assert.deepEqual((await store.getLogs({ flowRunId: "f1", taskRunId: "t1" })).map((l) => l.message), ["from the task"]);
    assert.deepEqual((await store.getLogs({ flowRunId: "f1", limit: 1 })).map((l) => l.message), ["from the flow"]);

    // A new Store on the same file sees the same rows and folds nothing again.
    const again = await openTracked(home);
    assert.equal((await again.sync()).eventsFolded, 0);
    assert.equal((await again.listFlowRuns()).length, 1);
  });

  it("two Store instances share the file: each sees the other's writes, nothing is folded twice", async () => {
    const home = tmpHome();
    const a = await openTracked(home);
    const b = await openTracked(home);
    const w = new JournalWriter(home);
    w.append(flowRun("f1"));
    w.flushSync();
    assert.equal((await a.sync()).eventsFolded, 1);
    assert.equal((await b.listFlowRuns()).length, 1, "b reloads the file a wrote");
    assert.equal((await b.sync()).eventsFolded, 0);
    w.append(flowRun("f2", { created: at(10) }));
    w.flushSync();
    assert.equal((await b.sync()).eventsFolded, 1);
    assert.deepEqual((await a.listFlowRuns()).map((r) => r.id), ["f2", "f1"], "newest first");
    assert.deepEqual((await a.listFlowRuns({ limit: 1 })).map((r) => r.id), ["f2"]);
    w.close();
  });

  it("several processes appending and syncing at once lose and duplicate nothing", async () => {
    const home = tmpHome();
    const N = 25;
    const CHILDREN = 4;
    const code = `
      const { openStore } = require(${JSON.stringify(path.join(ROOT, "src/store/index.ts"))});
      const { JournalWriter } = require(${JSON.stringify(path.join(ROOT, "src/engine/journal.ts"))});
      (async () => {
        const [home, tag, n] = process.argv.slice(1);
        const store = await openStore(home);
        const w = new JournalWriter(home);
        const ts = () => new Date().toISOString();
        for (let i = 0; i < Number(n); i++) {
          const f = tag + "-f" + i;
          w.append({ e: "flow_run", id: f, name: f, flowName: "c", parameters: {}, tags: [], created: ts(), expectedStartTime: ts(), pid: process.pid });
          w.append({ e: "state", kind: "flow", id: f, type: "Running", name: "Running", ts: ts() });
          for (let t = 0; t < 2; t++) {
            const id = f + "-t" + t;
            w.append({ e: "task_run", id, flowRunId: f, name: id, taskName: "t", parameters: {}, tags: [], created: ts() });
            w.append({ e: "state", kind: "task", id, type: "Completed", name: "Completed", ts: ts() });
            w.append({ e: "log", flowRunId: f, taskRunId: id, level: "INFO", message: "line", ts: ts() });
          }
          w.append({ e: "artifact", id: f + "-a", key: "shared", type: "markdown", data: "# " + f, flowRunId: f, created: ts() });
          w.append({ e: "state", kind: "flow", id: f, type: "Completed", name: "Completed", ts: ts() });
          w.flushSync();
          if (i % 2 === 0) await store.sync();
        }
        w.close();
        await store.sync();
        store.close();
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const store = await openTracked(home);
    let done = false;
    const children = Promise.all(
      Array.from({ length: CHILDREN }, (_, c) => runChild(code, [home, `c${c}`, String(N)], true)),
    ).finally(() => (done = true));
    // Meanwhile this process syncs and reads: a reader must never meet a torn file.
    let readerSyncs = 0;
    while (!done) {
      await store.sync();
      (await store.listFlowRuns({ limit: 5 }));
      readerSyncs++;
      await new Promise((r) => setTimeout(r, 15));
    }
    await children;
    await store.sync();

    assert.ok(readerSyncs > 0);
    const runs = await store.listFlowRuns();
    assert.equal(runs.length, CHILDREN * N);
    assert.equal(new Set(runs.map((r) => r.id)).size, CHILDREN * N);
    assert.ok(runs.every((r) => r.state.type === "Completed"));
    let tasks = 0;
    let logs = 0;
    for (const r of runs) {
      tasks += (await store.getFlowRun(r.id)).taskRuns.length;
      logs += (await store.getLogs({ flowRunId: r.id })).length;
      assert.equal((await store.getStateHistory(r.id)).length, 3);
    }
    assert.equal(tasks, CHILDREN * N * 2);
    assert.equal(logs, CHILDREN * N * 2);
    assert.equal((await store.getArtifactVersions("shared")).length, CHILDREN * N);
    assert.deepEqual(fs.readdirSync(journalDir(home)), [], "every closed journal was removed");
    assert.equal(fs.existsSync(`${dbPath(home)}.lock`), false);
  });

  it("crash-marks the unfinished runs of a dead writer's unclosed journal, not of a closed one", async () => {
    const home = tmpHome();
    const events = (p: string): EngineEvent[] => [
      flowRun(`${p}-flow`),
      state("flow", `${p}-flow`, "Running"),
      taskRun(`${p}-done`, `${p}-flow`),
      state("task", `${p}-done`, "Completed"),
      taskRun(`${p}-busy`, `${p}-flow`),
      state("task", `${p}-busy`, "Running"),
    ];
    const crashedPid = await childWritingJournal(home, events("a"), false);
    await childWritingJournal(home, events("b"), true);
    const store = await openTracked(home);
    const r = await store.sync();
    assert.equal(r.runsCrashed, 2, "the flow run and its running task");
    assert.equal(r.journalsRemoved, 2);

    const a = await store.getFlowRun("a-flow");
    assert.equal(a.flowRun.state.type, "Crashed");
    assert.equal(
      a.flowRun.state.message,
      `The process running this flow (pid ${crashedPid}) ended before the run finished.`,
    );
    assert.ok(a.flowRun.endTime);
    const byId = Object.fromEntries(a.taskRuns.map((t) => [t.id, t.state.type]));
    assert.deepEqual(byId, { "a-done": "Completed", "a-busy": "Crashed" });
    assert.deepEqual(
      (await store.getStateHistory("a-flow")).map((h) => h.type),
      ["Pending", "Running", "Crashed"],
    );

    const b = await store.getFlowRun("b-flow");
    assert.equal(b.flowRun.state.type, "Running", "a closed journal's runs are left as they are");
    assert.deepEqual(fs.readdirSync(journalDir(home)), []);
    assert.equal((await store.sync()).runsCrashed, 0);
  });

  it("markRuns cancels a run tree of a dead child; its journal's crash-marking does not override it", async () => {
    const home = tmpHome();
    await childWritingJournal(
      home,
      [
        flowRun("root"),
        state("flow", "root", "Running"),
        flowRun("sub", { parentFlowRunId: "root", created: at(1) }),
        state("flow", "sub", "Running"),
        taskRun("sub-task", "sub"),
        state("task", "sub-task", "Running"),
        taskRun("root-task", "root"),
        state("task", "root-task", "Completed"),
      ],
      false,
    );
    const store = await openTracked(home);
    const n = await store.markRuns("root", "Cancelled", "Cancelled from the editor.");
    assert.equal(n, 3, "root, sub and sub-task");
    const root = await store.getFlowRun("root");
    assert.equal(root.flowRun.state.type, "Cancelled");
    assert.equal(root.flowRun.state.message, "Cancelled from the editor.");
    assert.deepEqual(root.subflowRuns.map((s) => [s.id, s.state.type]), [["sub", "Cancelled"]]);
    assert.equal((await store.getFlowRun("sub")).taskRuns[0].state.type, "Cancelled");
    assert.equal(root.taskRuns[0].state.type, "Completed", "finished runs keep their state");
    assert.deepEqual(fs.readdirSync(journalDir(home)), []);
  });

  it("does not fold an incomplete last line until it is complete; a dead writer's incomplete tail is dropped", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    const file = path.join(journalDir(home), `${process.pid}-feed01.ndjson`);
    const second = JSON.stringify(flowRun("f2"));
    fs.writeFileSync(file, JSON.stringify(flowRun("f1")) + "\n" + second.slice(0, 20));
    assert.equal((await store.sync()).eventsFolded, 1);
    assert.deepEqual((await store.listFlowRuns()).map((r) => r.id), ["f1"]);
    fs.appendFileSync(file, second.slice(20));
    assert.equal((await store.sync()).eventsFolded, 0, "still no newline");
    fs.appendFileSync(file, "\n");
    assert.equal((await store.sync()).eventsFolded, 1);
    assert.equal((await store.listFlowRuns()).length, 2);

    const dead = deadPid();
    fs.writeFileSync(path.join(journalDir(home), `${dead}-feed02.ndjson`), JSON.stringify(flowRun("f3")) + "\n{\"e\":\"flo");
    const r = await store.sync();
    assert.equal(r.eventsFolded, 1);
    assert.equal(r.journalsRemoved, 1);
    assert.ok(store.warnings.some((w) => w.includes("incomplete last line") && w.includes(`pid ${dead}`)));
  });

  it("skips malformed lines, keeps going, and warns with a count", async () => {
    const home = tmpHome();
    const warned: string[] = [];
    const store = await openTracked(home, { onWarning: (m) => warned.push(m) });
    const file = writeJournal(home, process.pid, [flowRun("f1")]);
    fs.appendFileSync(file, "not json\n" + JSON.stringify({ e: "state", kind: "x", id: "f1" }) + "\n[1,2]\n\n");
    writeJournal(home, process.pid, [state("flow", "f1", "Running")]);
    const r = await store.sync();
    assert.equal(r.eventsFolded, 2);
    assert.equal(r.malformedLines, 3);
    assert.equal((await store.getFlowRun("f1")).flowRun.state.type, "Running");
    assert.equal(warned.length, 1);
    assert.match(warned[0], /Skipped 3 malformed line\(s\) in journal .*aaaaaa\.ndjson \(first at byte \d+: not JSON\)/);
    assert.deepEqual(store.warnings, warned);
    assert.equal((await store.sync()).malformedLines, 0, "not counted again");
  });

  it("breaks a dead owner's lock at once (more in store-lock.test.ts)", async () => {
    const home = tmpHome();
    const store = await openTracked(home, { lock: { timeoutMs: 400 } });
    const lockFile = `${dbPath(home)}.lock`;
    fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), created: Date.now() }));
    assert.equal(await store.deleteArtifact("none"), false);
    assert.equal(fs.existsSync(lockFile), false);
  });

  /** A home with `n` flow runs (names of 200 characters) and one artifact each, folded into segments. */
  async function homeWithRuns(n: number): Promise<string> {
    const home = tmpHome();
    const s = await openStore(home);
    writeJournal(home, deadPid(), [
      ...Array.from({ length: n }, (_, i) => flowRun(`f${i}`, { name: "x".repeat(200), created: at(i) })),
      ...Array.from({ length: n }, (_, i): EngineEvent => ({ e: "artifact", id: `a${i}`, key: `k${i % 7}`, type: "markdown", data: `# ${i}`, flowRunId: `f${i}`, created: at(i) })),
      { e: "close", ts: at(n) },
    ]);
    await s.sync();
    s.close();
    return home;
  }

  it("rebuilds a damaged index from the segments: nothing is lost, the original is kept byte for byte", async () => {
    for (const damage of ["not sqlite", "truncated sqlite"]) {
      const home = await homeWithRuns(300);
      const bytes = fs.readFileSync(dbPath(home));
      fs.writeFileSync(dbPath(home), damage === "not sqlite" ? Buffer.from("this is not a database, but it is someone's data") : bytes.subarray(0, Math.floor(bytes.length / 2)));
      const original = fs.readFileSync(dbPath(home));
      const store = await openTracked(home);
      await store.sync();
      const rebuilt = store.warnings.filter((w) => w.includes("Rebuilt it from the segment files"));
      assert.equal(rebuilt.length, 1, `${damage}: ${store.warnings.join(" | ")}`);
      const aside = fs.readdirSync(home).filter((f) => f.startsWith("flowline.db.corrupt-"));
      assert.equal(aside.length, 1, damage);
      const asidePath = path.join(home, aside[0]);
      assert.deepEqual(fs.readFileSync(asidePath), original, "kept byte for byte");
      assert.ok(rebuilt[0].includes(dbPath(home)) && rebuilt[0].includes(asidePath), rebuilt[0]);
      assert.equal((await store.listFlowRuns({ limit: 1000 })).length, 300, "every run");
      assert.deepEqual((await store.listArtifactKeys()).map((k) => k.versions).reduce((a, b) => a + b, 0), 300, "every artifact");
      assert.equal((await store.getArtifactVersions("k3"))[0].id, "a297", "latest stays the one stored last");

      writeJournal(home, process.pid, [flowRun("new", { created: at(10_000) })], "later");
      await store.sync();
      assert.equal((await store.listFlowRuns())[0].id, "new");
      const reopened = await openTracked(home);
      assert.equal((await reopened.listFlowRuns({ limit: 1000 })).length, 301);
      assert.deepEqual(reopened.warnings, []);
    }
  });

  it("a read with no journal to fold writes nothing, yet sees another writer's runs and repairs a damaged index", async () => {
    const home = await homeWithRuns(300);
    const before = fileSignature(dbPath(home));
    const reader = await openTracked(home);
    const sync = await reader.sync();
    assert.deepEqual(sync, { eventsFolded: 0, runsCrashed: 0, malformedLines: 0, journalsRemoved: 0, wrote: false });
    assert.equal(fileSignature(dbPath(home)), before, "nothing written");
    // Another process folds a run: this reader's next read has it, though its sync had nothing to fold.
    const writer = await openStore(home);
    writeJournal(home, deadPid(), [flowRun("other", { created: at(5000) }), { e: "close", ts: at(5001) }], "other");
    await writer.sync();
    writer.close();
    await reader.sync();
    assert.equal((await reader.listFlowRuns({ limit: 1 }))[0].id, "other");

    // A bad page inside the index (its header intact, so it opens): the first sync of a process checks it
    // as a write would, and rebuilds it, though there is no journal to fold.
    const bytes = fs.readFileSync(dbPath(home));
    assert.ok(bytes.length >= 4 * 8192, String(bytes.length));
    bytes.fill(0xa5, 2 * 8192 + 100, 3 * 8192);
    fs.writeFileSync(dbPath(home), bytes);
    const next = await openTracked(home);
    await next.sync();
    assert.ok(next.warnings.some((w) => w.includes("Rebuilt it from the segment files")), next.warnings.join(" | "));
    assert.equal((await next.listFlowRuns({ limit: 1000 })).length, 301);
  });

  it("salvages a damaged segment row by row: the counts are told, the original is kept beside it", async () => {
    const home = await homeWithRuns(3000);
    const dataDir = path.join(home, "data");
    const segFile = fs.readdirSync(dataDir).find((f) => f.endsWith(".db")) as string;
    const bytes = fs.readFileSync(path.join(dataDir, segFile));
    // One bad page of flow runs (the page holding the 1,500th run's 200-character name; 8 KiB pages).
    const name = Buffer.from("x".repeat(200));
    let at1500 = -1;
    for (let i = 0, from = 0; i < 1500; i++, from = at1500 + 200) at1500 = bytes.indexOf(name, from);
    const page = Math.floor(at1500 / 8192) * 8192;
    bytes.fill(0xa5, page + 100, page + 8192);
    fs.writeFileSync(path.join(dataDir, segFile), bytes);
    const damaged = Buffer.from(bytes);
    const store = await openTracked(home);
    writeJournal(home, process.pid, [flowRun("after", { created: at(20_000) })], "after");
    await store.sync(); // a write: checks each segment it touches, and salvages a damaged one
    const message = store.warnings.find((w) => w.includes("Salvaged it"));
    assert.ok(message, store.warnings.join(" | "));
    const m = /recovered ([\d,]+) of ([\d,]+) rows/.exec(message);
    assert.ok(m, message);
    const [recovered, of] = [Number(m[1].replace(/,/g, "")), Number(m[2].replace(/,/g, ""))];
    assert.ok(recovered >= of * 0.9 && recovered < of, `${recovered} of ${of}`);
    const kept = fs.readdirSync(dataDir).filter((f) => f.includes(".corrupt-"));
    assert.equal(kept.length, 1);
    assert.deepEqual(fs.readFileSync(path.join(dataDir, kept[0])), damaged, "the damaged original, byte for byte");
    const runs = await store.listFlowRuns({ limit: 5000 });
    assert.ok(runs.length >= 2700 && runs.length <= 3001, String(runs.length));
    assert.equal(runs[0].id, "after", "and it goes on working");
  });

  it("a reader keeps its last good index when the file is damaged later; the next sync rebuilds it", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    writeJournal(home, process.pid, [flowRun("f1")]); // a live writer's journal: kept until it closes
    await store.sync();
    fs.writeFileSync(dbPath(home), "garbage");
    assert.deepEqual((await store.listFlowRuns()).map((r) => r.id), ["f1"]);
    assert.match(store.warnings[0], /damaged or not a SQLite file.*last good copy/);
    await store.sync();
    assert.ok(fs.readdirSync(home).some((n) => n.startsWith("flowline.db.corrupt-")));
    assert.deepEqual((await store.listFlowRuns()).map((r) => r.id), ["f1"]);
  });

  it("converts a Flowline 1.0 database on first open, keeping every run and artifact, and keeps the original", async () => {
    // A real 1.0 home (made by Flowline 1.0's CLI from test/fixtures/home-1.0/flows.ts, run twice).
    const home = tmpHome();
    fs.copyFileSync(path.join(ROOT, "test/fixtures/home-1.0/flowline.db"), dbPath(home));
    const original = fs.readFileSync(dbPath(home));
    const notes: string[] = [];
    const store = await openTracked(home, { onProgress: (m) => notes.push(m) });
    assert.match(notes[0], /Converting this Flowline home to the 1\.1 storage layout \(4 flow runs, 10 artifacts\)/);
    assert.match(notes[notes.length - 1], /kept as .*flowline\.db\.1\.0-backup/);
    assert.deepEqual(fs.readFileSync(`${dbPath(home)}.1.0-backup`), original, "the 1.0 file, untouched");
    const runs = await store.listFlowRuns();
    assert.deepEqual(runs.map((r) => r.flowName).sort(), ["child-flow", "child-flow", "legacy-flow", "legacy-flow"]);
    const big = runs.find((r) => r.flowName === "legacy-flow" && r.taskRunCounts.total === 4) as FlowRun;
    const detail = await store.getFlowRun(big.id);
    assert.deepEqual(detail.taskRuns.map((t) => [t.name, t.state.name, t.resultKey]), [
      ["add-0", "Completed", "add-0.json"],
      ["add-1", "Completed", "add-1.json"],
      ["add-2", "Completed", "add-2.json"],
      ["boom-0", "Failed", undefined],
    ]);
    assert.equal(detail.subflowRuns.length, 1);
    assert.deepEqual((await store.getStateHistory(detail.taskRuns[3].id, big.id)).map((h) => h.name), ["Pending", "Running", "AwaitingRetry", "Retrying", "Failed"]);
    assert.ok((await store.getLogs({ flowRunId: big.id })).some((l) => l.message === "adding 2"));
    assert.deepEqual((await store.listArtifactKeys()).map((k) => [k.key, k.versions]), [["child-report", 2], ["load", 2], ["cities", 4]]);
    assert.equal((await store.getArtifactVersions("load"))[0].data, 100, "a progress artifact's last value");
    assert.equal((await store.listArtifacts({ keyed: false })).length, 2, "unkeyed artifacts too");
    const reopened = await openTracked(home, { onProgress: (m) => notes.push(`again: ${m}`) });
    assert.ok(!notes.some((n) => n.startsWith("again:")), "converted once");
    assert.equal((await reopened.listFlowRuns()).length, 4);
  });

  it("converting a 1.0 database (schema 1 or 3) keeps versions in the order they were stored", async () => {
    const SQL = await loadSqlJs();
    for (const version of [1, 3] as const) {
      const home = tmpHome();
      const db = layoutOneDatabase(SQL, version);
      const insert = "INSERT INTO artifacts (id, key, type, data, created, updated) VALUES (?, 'k', 'markdown', '1', ?, ?)";
      db.run(insert, ["first", at(5_000), at(5_000)]);
      db.run(insert, ["second", at(0), at(0)]); // stored later, with a clock an instant behind
      fs.writeFileSync(dbPath(home), db.export());
      db.close();
      const store = await openTracked(home);
      assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), ["second"], `schema ${version}`);
      assert.deepEqual((await store.listArtifactKeys()).map((k) => [k.latest.id, k.versions]), [["second", 2]]);
      assert.equal(await store.deleteArtifact("second"), true);
      assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), ["first"]);
      // New versions go after the converted ones.
      writeJournal(home, process.pid, [{ e: "artifact", id: "third", key: "k", type: "markdown", data: "3", created: at(1) }]);
      await store.sync();
      assert.deepEqual((await store.getArtifactVersions("k")).map((a) => a.id), ["third", "first"]);
    }
  });

  it("a key's latest is the version stored last, even when the clock stepped back between versions", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    const art = (id: string, created: string): EngineEvent => ({ e: "artifact", id, key: "report", type: "markdown", data: id, created });
    // v1 at 12:00; the clock is then set back an hour; v2 is created at 11:00 by the wall clock.
    writeJournal(home, process.pid, [art("v1", "2025-06-01T12:00:00.000Z")], "first");
    await store.sync();
    writeJournal(home, process.pid, [art("v2", "2025-06-01T11:00:00.000Z")], "second");
    await store.sync();
    assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), ["v2"]);
    assert.deepEqual((await store.getArtifactVersions("report")).map((a) => a.id), ["v2", "v1"], "newest first = stored last first");
    assert.equal((await store.listArtifactKeys())[0].latest.id, "v2");
    assert.equal(await store.deleteArtifact("v2"), true);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), ["v1"], "then the one stored before it");
  });

  it("refuses a database written by a newer schema, and leaves it untouched", async () => {
    const home = tmpHome();
    const initSqlJs = (await import("sql.js")).default;
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.exec("CREATE TABLE future (x); PRAGMA user_version = 99");
    fs.writeFileSync(dbPath(home), db.export());
    db.close();
    const before = fs.readFileSync(dbPath(home));
    await assert.rejects(openStore(home), /written by a newer Flowline \(schema version 99.*Update Flowline/);
    assert.deepEqual(fs.readFileSync(dbPath(home)), before);
    assert.deepEqual(
      fs.readdirSync(home).filter((n) => n.startsWith("flowline.db")),
      ["flowline.db"],
    );
  });

  it("finds a flow run by a unique id prefix and says so when a prefix is ambiguous or unknown", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    writeJournal(home, process.pid, [flowRun("abc123"), flowRun("abd456"), flowRun("abd789")]);
    await store.sync();
    assert.equal((await store.getFlowRun("abc")).flowRun.id, "abc123");
    assert.equal((await store.getFlowRun("abd456")).flowRun.id, "abd456");
    await assert.rejects(() => store.getFlowRun("ab"),
      (err: unknown) =>
        err instanceof StoreLookupError &&
        err.code === "ambiguous" &&
        /"ab" matches more than one flow run: .*abc123.*Give more characters/.test(err.message),
    );
    await assert.rejects(() => store.getFlowRun("zz"),
      (err: unknown) => err instanceof StoreLookupError && err.code === "not-found" && /runs ls/.test(err.message),
    );
  });

  it("keeps artifact versions in order; deleting the latest makes the next newest the latest", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    const art = (id: string, key: string | undefined, created: string, type = "markdown"): EngineEvent =>
      ({ e: "artifact", id, key, type, data: { v: id }, description: `about ${id}`, flowRunId: "f1", created }) as EngineEvent;
    writeJournal(home, process.pid, [
      art("k1", "report", at(0)),
      art("k2", "report", at(5)),
      art("k3", "report", at(5), "table"), // same millisecond as k2: created later, so newer
      art("o1", "other", at(1), "progress"), // only progress artifacts are updated in place
      art("u1", undefined, at(2)),
      { e: "artifact_update", id: "o1", data: 50, ts: at(9) },
      { e: "artifact_update", id: "k1", data: { v: "not a progress artifact: ignored" }, ts: at(9) },
    ]);
    await store.sync();
    assert.deepEqual((await store.getArtifactVersions("report")).map((a) => a.id), ["k3", "k2", "k1"]);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), ["o1", "k3"]);
    assert.deepEqual((await store.listArtifacts()).map((a) => a.id), ["u1", "o1", "k3", "k2", "k1"], "newest = stored last first");
    assert.deepEqual((await store.listArtifacts({ type: "table" })).map((a) => a.id), ["k3"]);
    assert.deepEqual((await store.listArtifacts({ text: "ABOUT O1" })).map((a) => a.id), ["o1"]);
    assert.deepEqual((await store.getArtifact("o1"))?.data, 50);
    assert.deepEqual((await store.getArtifact("k1"))?.data, { v: "k1" });
    assert.equal((await store.getArtifact("o1"))?.updated, at(9));
    assert.equal((await store.getArtifact("u1"))?.key, undefined);

    assert.equal(await store.deleteArtifact("k3"), true);
    assert.equal(await store.deleteArtifact("k3"), false);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true, key: "report" })).map((a) => a.id), ["k2"]);
    assert.equal(await store.deleteArtifactKey("report"), 2);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), ["o1"]);
    const other = await openTracked(home);
    assert.deepEqual((await other.listArtifacts()).map((a) => a.id), ["u1", "o1"], "the deletion was written to the file");
  });
});
