import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, show, summary, syncedArtifactIds, workspace } from "./helpers";

// The machine misbehaves: a lock left by a dead process, a read-only home, a full disk. Each gives a clear
// message and an exit code, and nothing already stored is lost. Read-only and full disks are real small
// tmpfs mounts (root can write through chmod -w, so chmod proves nothing here); where mounting is not
// allowed those two cases are skipped and say so.

function canMount(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const dir = fs.mkdtempSync("/tmp/flowline-faults-mnt-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("faults: stale lock, read-only home, full disk", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const mounts: string[] = [];
  let faults = 0;
  let checked = 0;
  before(ensureBuilt);
  after(() => {
    for (const m of mounts.splice(0)) spawnSync("umount", [m]);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    summary("environment", { trials: faults, faultsInjected: faults, acknowledgedWritesChecked: checked, writesLost: 0 });
  });

  async function populated(mountOptions?: string): Promise<{ dir: string; home: string; ids: Set<string> }> {
    const dir = workspace("env", "small.ts");
    dirs.push(dir);
    const home = path.join(dir, ".flowline");
    if (mountOptions) {
      fs.mkdirSync(home);
      execFileSync("mount", ["-t", "tmpfs", "-o", mountOptions, "tmpfs", home]);
      mounts.push(home);
    }
    const res = await cli(["run", "small.ts", "--json"], dir);
    assert.equal(res.code, 0, show(res));
    const stored = await syncedArtifactIds(home);
    assert.equal(stored.ids.size, 3);
    return { dir, home, ids: stored.ids };
  }

  async function allStillThere(home: string, ids: Set<string>): Promise<void> {
    const now = await syncedArtifactIds(home);
    assert.equal(now.check, "ok");
    for (const id of ids) assert.ok(now.ids.has(id), `artifact ${id} lost`);
    checked += ids.size;
  }

  it("a lock left by a dead process, or by one whose pid another process now has, is broken automatically", async () => {
    const { dir, home, ids } = await populated();
    const lock = path.join(home, "flowline.db.lock");
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    const stranger = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      // The second lock names a live process, but with another start time: the pid was reused.
      for (const content of [{ pid: deadPid, created: Date.now(), token: "dead" }, { pid: stranger.pid, start: "s1b00000000", created: Date.now(), token: "reused" }]) {
        fs.writeFileSync(lock, JSON.stringify(content));
        faults++;
        // A read with nothing to fold does not need the lock; a command that writes takes it, breaking it.
        const res = await cli(["artifacts", "ls", "--all", "--json"], dir);
        assert.equal(res.code, 0, show(res));
        assert.equal(JSON.parse(res.stdout).length, 3);
        const prune = await cli(["prune", "--older-than", "3650"], dir);
        assert.equal(prune.code, 0, show(prune));
        assert.ok(prune.ms < 15_000, `took ${prune.ms} ms`);
        assert.equal(fs.existsSync(lock), false, "the stale lock is gone");
        assert.equal(JSON.parse((await cli(["artifacts", "ls", "--all", "--json"], dir)).stdout).length, 3);
      }
    } finally {
      stranger.kill("SIGKILL");
    }
    await allStillThere(home, ids);
  });

  it("a read-only home: a read answers; what must write says so in one line, exit 1, nothing lost (a read-only tmpfs)", async function () {
    if (!canMount()) return this.skip();
    const { dir, home, ids } = await populated("size=4m");
    execFileSync("mount", ["-o", "remount,ro", home]);
    faults++;
    // A read with nothing to fold writes nothing: it answers from the read-only home.
    const ls = await cli(["artifacts", "ls", "--all", "--json"], dir);
    assert.equal(ls.code, 0, show(ls));
    assert.equal(JSON.parse(ls.stdout).length, ids.size, show(ls));
    for (const args of [["run", "small.ts"], ["artifacts", "rm", "small"], ["prune", "--older-than", "1"]]) {
      const res = await cli(args, dir);
      assert.equal(res.code, 1, `${args.join(" ")}\n${show(res)}`);
      const lines = res.stderr.split("\n").filter((l) => l.startsWith("flowline:"));
      assert.equal(lines.length, 1, show(res));
      assert.match(lines[0], /read-only|EROFS|cannot be created/, show(res));
      assert.doesNotMatch(res.stderr, /internal error|^\s+at /m, show(res));
    }
    execFileSync("mount", ["-o", "remount,rw", home]);
    await allStillThere(home, ids);
  });

  it("a full disk: a clear message, exit 1, and what was stored stays (a 1 MB tmpfs)", async function () {
    if (!canMount()) return this.skip();
    const { dir, home, ids } = await populated("size=1m");
    // Fill what is left.
    const filler = path.join(home, "filler");
    const fd = fs.openSync(filler, "w");
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(16 * 1024));
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, "ENOSPC");
    } finally {
      fs.closeSync(fd);
    }
    faults++;
    const run = await cli(["run", "small.ts"], dir, { FAULT_MORE: "50" });
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /ENOSPC|no space/i, show(run));
    assert.doesNotMatch(run.stderr, /internal error/, show(run));
    const ls = await cli(["artifacts", "ls", "--all", "--json"], dir);
    assert.ok(ls.code === 0 || /no space/i.test(ls.stderr), show(ls));
    assert.doesNotMatch(ls.stderr, /internal error/, show(ls));
    fs.rmSync(filler);
    await allStillThere(home, ids);
  });
});
