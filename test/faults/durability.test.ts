import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, CLI, cleanEnv, ensureBuilt, show, summary, workspace } from "./helpers";

// Power loss cannot be staged in a test, but what survives it can: what was flushed to the disk (fsync,
// fdatasync) before the moment a promise is made. strace records every flush, rename and write of the
// real CLI and its flow process; these tests check that each flush happens, and happens before:
// - by default, before the flow process reports the run finished (`done`): its result files, the folders
//   holding their renames, and its journal (once: not per write);
// - with FLOWLINE_DURABILITY=fsync, before each artifact create and state change returns (every journal
//   line but a log line is flushed before the next one is written), and each result before its state;
// - in every mode, a result replacing an earlier one before its rename, and the database before its rename
//   and its folder after.

interface Call {
  pid: number;
  name: string;
  args: string;
}

/** Runs the CLI under strace; returns its result and the traced calls in order. */
function traced(args: string[], cwd: string, env: Record<string, string> = {}): { code: number | null; stderr: string; calls: Call[] } {
  const out = path.join(cwd, `trace-${Date.now()}.txt`);
  const res = spawnSync("strace", ["-f", "-qq", "-y", "-s", "4096", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2,write,writev", "-o", out, process.execPath, CLI, ...args], {
    cwd,
    env: cleanEnv(env),
    encoding: "utf8",
    timeout: 120_000,
  });
  const calls: Call[] = [];
  for (const line of fs.readFileSync(out, "utf8").split("\n")) {
    const m = /^(\d+)\s+(\w+)\((.*)$/.exec(line); // "<... resumed>" lines continue a call already counted
    if (m) calls.push({ pid: Number(m[1]), name: m[2], args: m[3] });
  }
  fs.rmSync(out);
  return { code: res.status, stderr: res.stderr, calls };
}

/** A call's arguments with strace's escaping of quotes undone (journal lines are JSON). */
const text = (c: Call): string => c.args.replace(/\\"/g, '"');
const isFlush = (c: Call) => c.name === "fsync" || c.name === "fdatasync";
/** The path strace shows for a call's first argument (its file descriptor's path, with -y). */
const fdPath = (c: Call): string => /^\d+<([^>]*)>/.exec(c.args)?.[1] ?? "";
const renameTo = (c: Call): string | undefined => (c.name.startsWith("rename") ? /"([^"]*)"\)? = 0$/.exec(c.args.replace(/, \d+\) = 0$/, ") = 0"))?.[1] : undefined);
const renameFrom = (c: Call): string => /"([^"]*)"/.exec(c.args)?.[1] ?? "";

describe("faults: durability (what is flushed to disk, and when)", function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  let trials = 0;
  let checked = 0;
  before(function () {
    if (process.platform !== "linux") return this.skip(); // strace is Linux's
    const probe = spawnSync("strace", ["-V"], { encoding: "utf8" });
    assert.equal(probe.status, 0, "these tests need strace (Debian package strace; .ci/run installs it)");
    ensureBuilt();
  });
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    summary("durability", { trials, faultsInjected: 0, acknowledgedWritesChecked: checked, writesLost: 0 });
  });

  function setUp(): { dir: string; home: string } {
    const dir = workspace("durable", "durable.ts");
    dirs.push(dir);
    return { dir, home: fs.realpathSync(dir) + "/.flowline" };
  }

  /** The flow process: the one that writes the journal. Its calls, and the index of its `done` message. */
  function child(calls: Call[]): { calls: Call[]; done: number; journal: string } {
    const journalWrite = calls.find((c) => c.name === "write" && fdPath(c).endsWith(".ndjson"));
    assert.ok(journalWrite, "the flow wrote a journal");
    const mine = calls.filter((c) => c.pid === journalWrite.pid);
    const done = mine.findIndex((c) => c.name.startsWith("write") && fdPath(c).startsWith("socket:") && /type.{1,8}done/.test(c.args));
    assert.ok(done > 0, "the flow process reported the end of its run");
    return { calls: mine, done, journal: fdPath(journalWrite) };
  }

  it("by default a run is on disk before it is reported finished: results, their folders, then the journal, once", async () => {
    const { dir, home } = setUp();
    const run = traced(["run", "durable.ts"], dir);
    trials++;
    assert.equal(run.code, 0, run.stderr);
    const { calls, done, journal } = child(run.calls);
    const before = calls.slice(0, done);
    const results = before.filter((c) => renameTo(c)?.startsWith(`${home}/storage/`)).map((c) => ({ to: renameTo(c) as string, from: renameFrom(c), at: calls.indexOf(c) }));
    assert.equal(results.length, 2, "two task results");
    for (const r of results) {
      assert.ok(r.from.startsWith(`${home}/storage/.flowline-tmp/`), `written through the one temp folder: ${r.from}`);
      const flushed = calls.findIndex((c, i) => i > r.at && i < done && isFlush(c) && fdPath(c) === r.to);
      assert.ok(flushed > 0, `${r.to} flushed before the end is reported`);
      const folder = calls.findIndex((c, i) => i > r.at && i < done && isFlush(c) && fdPath(c) === path.dirname(r.to));
      assert.ok(folder > 0, `its folder (the rename) flushed before the end is reported`);
      const parent = calls.findIndex((c, i) => i > r.at && i < done && isFlush(c) && fdPath(c) === `${home}/storage`);
      assert.ok(parent > 0, "the folder made for it is in its parent, on disk");
      checked++;
    }
    const journalFlushes = before.filter((c) => isFlush(c) && fdPath(c) === journal);
    assert.equal(journalFlushes.length, 1, "the journal is flushed once a run, not once a write");
    const flushAt = calls.indexOf(journalFlushes[0]);
    const lastWrite = before.map((c, i) => (c.name === "write" && fdPath(c) === journal ? i : -1)).reduce((a, b) => Math.max(a, b));
    assert.ok(flushAt > lastWrite, "after the journal's last line before the report (the run's final state)");
    assert.match(text(calls[lastWrite]), /"e":"state","kind":"flow".*"type":"Completed"|Finished in state Completed/);
    for (const r of results) assert.ok(calls.findIndex((c) => isFlush(c) && fdPath(c) === r.to) < flushAt, "results before the journal that names them");
    assert.ok(before.some((c) => isFlush(c) && fdPath(c) === path.dirname(journal)), "the new journal's folder entry too");
    checked++;
    // Nothing was flushed while the run went on: the default costs one flush of each file, at the end.
    const firstFlush = before.findIndex(isFlush);
    const lastArtifact = before.map((c, i) => (c.name === "write" && fdPath(c) === journal && text(c).includes('"e":"artifact"') ? i : -1)).reduce((a, b) => Math.max(a, b));
    assert.ok(lastArtifact > 0 && firstFlush > lastArtifact, "no flush per artifact by default");
  });

  it("a result that replaces an earlier one is flushed before its rename; the database before its rename and its folder after", async () => {
    const { dir, home } = setUp();
    assert.equal((await cli(["run", "durable.ts"], dir)).code, 0);
    const again = traced(["run", "durable.ts"], dir);
    trials++;
    assert.equal(again.code, 0, again.stderr);
    const { calls } = child(again.calls);
    for (const key of ["1", "2"]) {
      const target = `${home}/storage/durable/${key}.json`;
      const at = calls.findIndex((c) => renameTo(c) === target);
      assert.ok(at > 0, `replaced ${target}`);
      const tmp = renameFrom(calls[at]);
      assert.ok(calls.slice(0, at).some((c) => isFlush(c) && fdPath(c) === tmp), `the new ${key}.json is on disk before it replaces the old one`);
      checked++;
    }
    const ls = traced(["artifacts", "ls", "--json"], dir);
    trials++;
    assert.equal(ls.code, 0, ls.stderr);
    const db = `${home}/flowline.db`;
    const at = ls.calls.findIndex((c) => renameTo(c) === db);
    assert.ok(at > 0, "the command folded the journals into the database");
    const tmp = renameFrom(ls.calls[at]);
    assert.ok(ls.calls.slice(0, at).some((c) => isFlush(c) && fdPath(c) === tmp), "the new database is on disk before its rename");
    assert.ok(ls.calls.slice(at).some((c) => isFlush(c) && fdPath(c) === home), "and the rename after it");
    checked++;
  });

  it("FLOWLINE_DURABILITY=fsync: every artifact and state change is flushed before the next line, each result before its state", async () => {
    const { dir, home } = setUp();
    const run = traced(["run", "durable.ts"], dir, { FLOWLINE_DURABILITY: "fsync", FAULT_TASKS: "5" });
    trials++;
    assert.equal(run.code, 0, run.stderr);
    const { calls, done, journal } = child(run.calls);
    const lines = calls.map((c, i) => ({ c, i })).filter(({ c, i }) => c.name === "write" && fdPath(c) === journal && i < done);
    let promised = 0;
    const kinds = new Set<string>();
    for (const { c, i } of lines) {
      const events = [...text(c).matchAll(/"e":"(artifact|artifact_update|state|flow_run|task_run|cache)"/g)].map((m) => m[1]);
      if (events.length === 0) continue; // a batch of log lines only
      for (const e of events) kinds.add(e);
      promised++;
      const next = calls.findIndex((d, j) => j > i && ((d.name === "write" && fdPath(d) === journal) || (isFlush(d) && fdPath(d) === journal)));
      assert.ok(next > 0 && isFlush(calls[next]), `flushed before the next journal line: ${text(c).slice(0, 120)}`);
    }
    assert.ok(promised >= 5 * 4 + 3, `every create and state change (${promised})`);
    assert.deepEqual([...kinds].sort(), ["artifact", "artifact_update", "flow_run", "state", "task_run"]);
    checked += promised;
    for (const [at, c] of calls.entries()) {
      const to = renameTo(c);
      if (!to?.startsWith(`${home}/storage/durable/`)) continue;
      assert.ok(calls.slice(0, at).some((d) => isFlush(d) && fdPath(d) === renameFrom(c)), `${to} on disk before its rename`);
      const folder = calls.findIndex((d, j) => j > at && isFlush(d) && fdPath(d) === path.dirname(to));
      const state = calls.findIndex((d, j) => j > at && d.name === "write" && fdPath(d) === journal);
      assert.ok(folder > 0 && folder < state, `its rename on disk before the state that names it`);
      checked++;
    }
  });

  it("an unknown FLOWLINE_DURABILITY is one clear line and exit 2, before anything runs", async () => {
    const { dir, home } = setUp();
    const res = await cli(["run", "durable.ts"], dir, { FLOWLINE_DURABILITY: "sometimes" });
    trials++;
    assert.equal(res.code, 2, show(res));
    assert.match(res.stderr, /^flowline: FLOWLINE_DURABILITY is "sometimes"; use "run" \(the default.*\) or "fsync" .*$/m);
    assert.doesNotMatch(res.stderr, /internal error|^\s+at /m);
    assert.equal(fs.existsSync(path.join(home, "storage", "durable")), false, "nothing ran");
  });
});
