import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "../../src/shared/events";
import { dbPath, journalDir } from "../../src/shared/home";
import { writerTag } from "../../src/shared/process-identity";
import { openStore, type Store } from "../../src/store";

// The lock and the liveness of writers, with real processes: a lock never expires while its holder lives
// (whatever its age), reads never wait behind it, waits say who holds it, and a pid that now belongs to
// another process is not taken for the writer that recorded it (locks, journals, temp files).

const ROOT = path.resolve(__dirname, "../..");
const TSX = require.resolve("tsx/cjs");
const T0 = "2025-01-01T00:00:00.000Z";

const homes: string[] = [];
function tmpHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-lock-"));
  homes.push(home);
  return home;
}

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid as number;
}

/** A live process that takes the store's lock with the real lock code and holds it until killed. */
async function lockHolder(home: string, label: string, doing: string): Promise<ChildProcess> {
  const code = `
    const { acquireLock } = require(${JSON.stringify(path.join(ROOT, "src/store/lock.ts"))});
    acquireLock(process.argv[1], { label: process.argv[2], doing: process.argv[3] }).then(() => {
      process.stdout.write("held\\n");
      setInterval(() => {}, 1000);
    });
  `;
  const child = spawn(process.execPath, ["--require", TSX, "-e", code, `${dbPath(home)}.lock`, label, doing], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("held") && resolve());
    child.on("exit", (c) => reject(new Error(`lock holder exited ${c}`)));
  });
  return child;
}

/** A process that lives until killed (it holds nothing). */
function sleeper(): ChildProcess {
  return spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

function artifactLines(ids: string[], key = "k"): string {
  const events: EngineEvent[] = ids.map((id) => ({ e: "artifact", id, key, type: "markdown", data: id, created: T0 }) as EngineEvent);
  return [...events, { e: "close", ts: T0 } as EngineEvent].map((e) => JSON.stringify(e) + "\n").join("");
}

/** A finished journal of a process that has exited, holding artifacts `ids`. */
function deadJournal(home: string, ids: string[]): string {
  fs.mkdirSync(journalDir(home), { recursive: true });
  const file = path.join(journalDir(home), `${deadPid()}-aaaa${ids.length}.ndjson`);
  fs.writeFileSync(file, artifactLines(ids));
  return file;
}

describe("store lock and writer liveness", function () {
  this.timeout(30_000);
  const open: Store[] = [];
  const children: ChildProcess[] = [];
  async function openTracked(home: string, opts?: Parameters<typeof openStore>[1]): Promise<Store> {
    const s = await openStore(home, opts);
    open.push(s);
    return s;
  }
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    for (const c of children.splice(0)) await stop(c);
  });
  after(() => {
    for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
  });

  it("a lock held by a live process never expires, however old; a write waits, saying who holds it and for how long", async () => {
    const home = tmpHome();
    const waits: string[] = [];
    const store = await openTracked(home, { lock: { timeoutMs: 2500 }, onWait: (m) => waits.push(m) });
    deadJournal(home, ["a1"]);
    await store.sync();
    const holder = await lockHolder(home, "flowline run", "folding 180 MB of journals");
    children.push(holder);
    // Age must not matter: the lock claims to be an hour old (a long fold, a laptop that slept).
    const lockFile = `${dbPath(home)}.lock`;
    const content = JSON.parse(fs.readFileSync(lockFile, "utf8"));
    fs.writeFileSync(lockFile, JSON.stringify({ ...content, created: Date.now() - 3_600_000 }));

    await assert.rejects(store.deleteArtifact("a1"), (err: Error) => {
      assert.equal(err.name, "StoreBusyError");
      assert.match(err.message, new RegExp(`flowline run \\(pid ${holder.pid}\\), folding 180 MB of journals; it has held the database lock for 36\\d\\d s`));
      assert.doesNotMatch(err.message, /delete|internal error|report this/i);
      return true;
    });
    assert.ok(waits.length >= 1, "told while waiting");
    assert.match(waits[0], new RegExp(`^waiting for flowline run \\(pid ${holder.pid}\\), folding 180 MB of journals; it has held the database lock for \\d+ s$`));
    assert.equal(JSON.parse(fs.readFileSync(lockFile, "utf8")).pid, holder.pid, "the live holder's lock is untouched");
    assert.deepEqual((await store.listArtifacts()).map((a) => a.id), ["a1"], "nothing was written meanwhile");

    await stop(holder); // its owner gone, the lock is broken at once
    assert.equal(await store.deleteArtifact("a1"), true);
    assert.equal(fs.existsSync(lockFile), false);
  });

  it("a read never waits behind a writer: sync folds the journals into its own copy, writes and deletes nothing", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    await store.sync();
    const before = fs.readFileSync(dbPath(home));
    const holder = await lockHolder(home, "flowline artifacts rm", "deleting artifacts");
    children.push(holder);
    const journal = deadJournal(home, ["r1", "r2"]);

    const result = await store.sync();
    assert.equal(result.wrote, false);
    assert.match(result.busy ?? "", new RegExp(`^flowline artifacts rm \\(pid ${holder.pid}\\), deleting artifacts`));
    assert.deepEqual((await store.listArtifacts()).map((a) => a.id).sort(), ["r1", "r2"], "every acknowledged write is shown");
    assert.ok(fs.existsSync(journal), "the journal stays until a write holds its rows");
    assert.deepEqual(fs.readFileSync(dbPath(home)), before, "the file is the holder's to write");
    const other = await openTracked(home, { sync: true });
    assert.deepEqual((await other.listArtifacts()).map((a) => a.id).sort(), ["r1", "r2"], "a second reader too");

    await stop(holder);
    const after = await store.sync();
    assert.equal(after.wrote, true);
    assert.equal(after.busy, undefined);
    assert.equal(fs.existsSync(journal), false);
    const reopened = await openTracked(home);
    assert.deepEqual((await reopened.listArtifacts()).map((a) => a.id).sort(), ["r1", "r2"]);
  });

  it("a lock whose pid now belongs to another process is broken: the start time does not match, or it started after the lock", async () => {
    const home = tmpHome();
    const store = await openTracked(home, { lock: { timeoutMs: 2000 } });
    const stranger = sleeper();
    children.push(stranger);
    const lockFile = `${dbPath(home)}.lock`;
    const locks = [
      { pid: stranger.pid, start: "s1b00000000", created: Date.now(), token: "reused" }, // recorded start differs
      { pid: stranger.pid, created: Date.now() - 3_600_000, token: "old-format" }, // Flowline 1.0: no start; the lock predates the process
    ];
    for (const lock of locks) {
      fs.writeFileSync(lockFile, JSON.stringify(lock));
      deadJournal(home, [`x-${lock.token}`]);
      const result = await store.sync();
      assert.equal(result.wrote, true, lock.token);
      assert.equal(fs.existsSync(lockFile), false, lock.token);
    }
    assert.equal((await store.listArtifacts()).length, 2);
  });

  it("a journal whose pid was reused by another process is dead: its unfinished runs are Crashed and it goes", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    const stranger = sleeper();
    children.push(stranger);
    fs.mkdirSync(journalDir(home), { recursive: true });
    const run = (id: string): string =>
      [
        { e: "flow_run", id, name: id, flowName: "f", parameters: {}, tags: [], created: T0, expectedStartTime: T0, pid: stranger.pid },
        { e: "state", kind: "flow", id, type: "Running", name: "Running", ts: T0 },
      ].map((e) => JSON.stringify(e) + "\n").join("");
    // Named with the stranger's pid but another start time; and named as Flowline 1.0 did (pid only),
    // last written an hour before the stranger started.
    const named = path.join(journalDir(home), `${stranger.pid}-s1b00000000rabc123.ndjson`);
    const old = path.join(journalDir(home), `${stranger.pid}-0f0f0f.ndjson`);
    fs.writeFileSync(named, run("named"));
    fs.writeFileSync(old, run("old"));
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(old, hourAgo, hourAgo);
    // A journal of this very process (same tag) is alive: its run stays Running.
    const mine = path.join(journalDir(home), `${writerTag()}live1.ndjson`);
    fs.writeFileSync(mine, run("mine"));

    const result = await store.sync();
    assert.equal(result.runsCrashed, 2);
    assert.equal((await store.getFlowRun("named")).flowRun.state.type, "Crashed");
    assert.equal((await store.getFlowRun("old")).flowRun.state.type, "Crashed");
    assert.equal((await store.getFlowRun("mine")).flowRun.state.type, "Running");
    assert.deepEqual(fs.readdirSync(journalDir(home)), [path.basename(mine)]);
  });

  it("temp files of killed writers are removed by the next lock holder; a live writer's are kept", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    const tmpDir = path.join(home, "storage", ".flowline-tmp"); // where result writes keep their temp files
    fs.mkdirSync(tmpDir, { recursive: true });
    const dead = deadPid();
    const leftovers = [
      path.join(tmpDir, `${dead}-s1b00000000rdeadbeef0-report.json`), // a result write killed mid-write
      path.join(tmpDir, `${dead}-deadbeef1-old.json`), // the same, named as Flowline 1.0 names (pid only)
      path.join(home, `.flowline.db.tmp-${dead}-s1b00000000rdeadbeef2`), // a database write killed mid-write
    ];
    const live = [path.join(tmpDir, `${writerTag()}cafe0-mine.json`), path.join(home, `.flowline.db.tmp-${writerTag()}cafe1`)];
    for (const f of [...leftovers, ...live]) fs.writeFileSync(f, "half a file");
    deadJournal(home, ["t1"]);
    await store.sync();
    for (const f of leftovers) assert.equal(fs.existsSync(f), false, `${path.basename(f)} removed`);
    for (const f of live) assert.equal(fs.existsSync(f), true, `${path.basename(f)} kept: its writer lives`);
  });

  it("a segment's generation file is never replaced: a write takes the next free name, leaving one another writer made", async () => {
    const home = tmpHome();
    const store = await openTracked(home);
    deadJournal(home, ["g1", "g2"]);
    await store.sync();
    const data = path.join(home, "data");
    const [first] = fs.readdirSync(data).filter((n) => n.endsWith(".db"));
    const m = /^(s\d+)\.g(\d+)\.db$/.exec(first)!;
    // What a writer that lost its lock (deleted, or broken by Flowline 1.0) wrote from the same index.
    const taken = path.join(data, `${m[1]}.g${Number(m[2]) + 1}.db`);
    fs.writeFileSync(taken, "another writer's generation");
    assert.equal(await store.deleteArtifact("g1"), true);
    assert.equal(fs.existsSync(taken) ? fs.readFileSync(taken, "utf8") : "removed as unreferenced", "removed as unreferenced", "not overwritten, and not named by the index");
    const now = fs.readdirSync(data).filter((n) => n.endsWith(".db"));
    assert.deepEqual(now, [`${m[1]}.g${Number(m[2]) + 2}.db`]);
    const reopened = await openTracked(home);
    assert.deepEqual((await reopened.listArtifacts()).map((a) => a.id), ["g2"]);
  });

  it("a symlinked flowline.db is written through: the link stays and its target holds the rows", async () => {
    const home = tmpHome();
    const elsewhere = tmpHome();
    const target = path.join(elsewhere, "shared.db");
    fs.symlinkSync(target, dbPath(home)); // dangling until the first write makes the target
    const store = await openTracked(home);
    deadJournal(home, ["s1"]);
    await store.sync();
    deadJournal(home, ["s2"]);
    assert.equal(await store.deleteArtifact("s1"), true);
    assert.ok(fs.lstatSync(dbPath(home)).isSymbolicLink(), "still a link");
    assert.equal(fs.readlinkSync(dbPath(home)), target);
    assert.ok(fs.existsSync(path.join(elsewhere, "data")), "the segments live beside the target");
    // Another home linking to the same file is the same store.
    const twin = tmpHome();
    fs.symlinkSync(target, dbPath(twin));
    const other = await openTracked(twin);
    assert.deepEqual((await other.listArtifacts()).map((a) => a.id), ["s2"]);
    assert.deepEqual(fs.readdirSync(elsewhere).filter((n) => n.includes(".tmp-") || n.endsWith(".lock")), [], "no temp or lock file left");
  });
});
