import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, readStoreFiles, readLines, show, startCli, summary, waitFor, workspace, type Result } from "./helpers";

// Issue 11's repro: a writer (`flowline artifacts rm`, in the middle of a long fold) is paused with SIGSTOP.
// Meanwhile a flow writes 20 artifacts and `artifacts ls` reads them; then the writer resumes. Flowline 1.0
// broke a lock older than 30 s although its owner lived: the two writers renamed over each other and the
// 20 acknowledged artifacts were lost. Here the pause is short, but the lock's age is rewritten an hour into
// the past while its holder is stopped (age must not matter); in the second test the lock file is deleted
// (as Flowline 1.0 breaking it would): the writer must notice that the file changed and fold again.

interface Paused {
  dir: string;
  home: string;
  lock: string;
  rm: ReturnType<typeof startCli>;
}

const BULK_LINES = Number(process.env.FAULT_BULK_LINES ?? 3000);

describe("faults: a writer paused while it holds the lock", function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  let trials = 0;
  let checked = 0;
  let lost = 0;
  before(ensureBuilt);
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    summary("lock-pause", { trials, faultsInjected: trials, acknowledgedWritesChecked: checked, writesLost: lost });
  });

  /** A store with keys `victim` and `other`, a big finished journal to fold, and `artifacts rm victim` stopped mid-fold. */
  async function pausedWriter(): Promise<Paused> {
    const dir = workspace("pause", "keyed.ts");
    dirs.push(dir);
    const home = path.join(dir, ".flowline");
    const seed = await cli(["run", "keyed.ts"], dir, { FAULT_KEYS: "victim,other" });
    assert.equal(seed.code, 0, show(seed));
    // A finished run's journal of ~25 MB of log lines (its process has exited), so the fold takes a while.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const ts = new Date().toISOString();
    const line = "z".repeat(8000);
    const events = [JSON.stringify({ e: "flow_run", id: "bulk", name: "bulk", flowName: "bulk", parameters: {}, tags: [], created: ts, expectedStartTime: ts, pid: dead })];
    for (let i = 0; i < BULK_LINES; i++) events.push(JSON.stringify({ e: "log", flowRunId: "bulk", level: "INFO", message: `${i} ${line}`, ts }));
    events.push(JSON.stringify({ e: "close", ts }));
    fs.writeFileSync(path.join(home, "journal", `${dead}-b0b0b0.ndjson`), `${events.join("\n")}\n`);

    const lock = path.join(home, "flowline.db.lock");
    const rm = startCli(["artifacts", "rm", "victim"], dir);
    const pid = rm.proc.pid as number;
    // Stop it once the lock is its own and it is folding the big journal (it says so in the lock file;
    // Flowline 1.0's lock said nothing, so there 300 ms of holding it counts as mid-fold).
    let heldSince = 0;
    await waitFor(() => {
      let content: { pid?: number; label?: string; doing?: string } = {};
      try {
        content = JSON.parse(fs.readFileSync(lock, "utf8"));
      } catch {
        return false;
      }
      if (content.pid !== pid) return false;
      heldSince ||= Date.now();
      return /folding [\d.]+ MB/.test(content.doing ?? "") || (content.label === undefined && Date.now() - heldSince > 300);
    }, 60_000, "artifacts rm to hold the lock");
    rm.proc.kill("SIGSTOP");
    assert.equal(JSON.parse(fs.readFileSync(lock, "utf8")).pid, pid, "stopped while holding the lock");
    trials++;
    return { dir, home, lock, rm };
  }

  /** While the writer is stopped: a flow writes 20 artifacts, and reads show them without waiting. */
  async function meanwhile(p: Paused): Promise<string[]> {
    const run = await cli(["run", "keyed.ts"], p.dir, { FAULT_KEYS: "twenty", FAULT_COUNT: "20" });
    assert.equal(run.code, 0, show(run));
    const acked = readLines(path.join(p.dir, "acked.txt")).slice(2);
    assert.equal(acked.length, 20);
    const ls: Result = await cli(["artifacts", "ls", "--all", "--key", "twenty", "--json"], p.dir, {}, 60_000);
    assert.equal(ls.code, 0, `a read does not wait for the stopped writer\n${show(ls)}`);
    assert.deepEqual(JSON.parse(ls.stdout).map((a: { id: string }) => a.id).sort(), [...acked].sort(), "every acknowledged artifact is shown");
    const runs = await cli(["runs", "ls", "--json"], p.dir, {}, 60_000);
    assert.equal(runs.code, 0, show(runs));
    return acked;
  }

  /** After the writer resumed: the 20 are there, victim and other are deleted, the file is sound. */
  async function settled(p: Paused, acked: string[], deletedKeys: string[]): Promise<void> {
    const res = await p.rm.done;
    assert.equal(res.code, 0, show(res));
    const all = await cli(["artifacts", "ls", "--all", "--json"], p.dir);
    assert.equal(all.code, 0, show(all));
    const stored = JSON.parse(all.stdout) as Array<{ id: string; key: string }>;
    const ids = new Set(stored.map((a) => a.id));
    const missing = acked.filter((id) => !ids.has(id));
    lost += missing.length;
    checked += acked.length + deletedKeys.length;
    assert.deepEqual(missing, [], "acknowledged artifacts lost");
    for (const key of deletedKeys) assert.equal(stored.filter((a) => a.key === key).length, 0, `the deletion of ${key} stuck`);
    assert.equal((await readStoreFiles(p.home, "SELECT 1")).check, "ok");
  }

  it("age is not staleness: a stopped holder keeps its lock, reads go on, a second writer waits and says for whom", async () => {
    const p = await pausedWriter();
    // An hour old by its own account: Flowline 1.0 broke such a lock at once.
    const content = JSON.parse(fs.readFileSync(p.lock, "utf8"));
    fs.writeFileSync(p.lock, JSON.stringify({ ...content, created: Date.now() - 3_600_000 }));
    const acked = await meanwhile(p);
    assert.equal(JSON.parse(fs.readFileSync(p.lock, "utf8")).pid, p.rm.proc.pid, "nobody broke the live writer's lock");

    const second = startCli(["artifacts", "rm", "other"], p.dir);
    let told = "";
    second.proc.stderr!.on("data", (d: Buffer) => (told += d.toString()));
    await waitFor(() => /waiting for/.test(told), 30_000, "the second writer to say what it waits for");
    assert.match(told, new RegExp(`^flowline: waiting for flowline artifacts rm \\(pid ${p.rm.proc.pid}\\), folding [\\d.]+ MB of journals; it has held the database lock for \\d+ s$`, "m"));
    assert.doesNotMatch(told, /internal error|report this|delete/i);
    p.rm.proc.kill("SIGCONT");
    const res2 = await second.done;
    assert.equal(res2.code, 0, show(res2));
    await settled(p, acked, ["victim", "other"]);
  });

  it("a writer whose lock was taken from it notices the file changed, and folds again on top of it", async () => {
    const p = await pausedWriter();
    fs.rmSync(p.lock); // as Flowline 1.0 did to a lock older than 30 s, or a user told to delete it
    const acked = await meanwhile(p);
    // That read found the lock free: it folded everything, wrote the file and deleted the journals.
    assert.deepEqual(fs.readdirSync(path.join(p.home, "journal")), [], "the journals are gone: only the file has the 20 now");
    p.rm.proc.kill("SIGCONT");
    await settled(p, acked, ["victim"]);
  });
});
