// A private PostgreSQL cluster for the DBOS peer: Debian's postgresql package (installed with apt-get
// when missing and we are root), initdb in a temp folder, a loopback port, stopped at the end.
// PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user (made by the
// Debian package) and its commands run through runuser.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

function findBin(name) {
  const dirs = [...(process.env.PATH ?? "").split(":")];
  const lib = "/usr/lib/postgresql";
  if (fs.existsSync(lib)) {
    for (const v of fs.readdirSync(lib).sort((a, b) => Number(b) - Number(a))) dirs.push(path.join(lib, v, "bin"));
  }
  for (const dir of dirs) if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

function isRoot() {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Installs Debian's postgresql if initdb is nowhere to be found. Throws with a one-line reason if it cannot. */
function ensureInstalled(log) {
  if (findBin("initdb") && findBin("pg_ctl")) return;
  if (!isRoot()) throw new Error("PostgreSQL is not installed and this is not root, so apt-get cannot install it (apt-get install postgresql)");
  log("installing postgresql with apt-get…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { env, stdio: ["ignore", "ignore", "pipe"] });
  if (update.status !== 0) throw new Error(`apt-get update failed: ${String(update.stderr).trim().split("\n").pop()}`);
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "postgresql"], { env, stdio: ["ignore", "ignore", "pipe"] });
  if (install.status !== 0) throw new Error(`apt-get install postgresql failed: ${String(install.stderr).trim().split("\n").pop()}`);
  if (!findBin("initdb")) throw new Error("apt-get installed postgresql but initdb was not found");
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster and resolves to { url, version, stop() }. `settings` are extra `-c name=value`
 * server settings (none by default: the cluster runs as Debian ships it, fsync and synchronous_commit on).
 */
export async function startPostgres({ log = () => {}, settings = {} } = {}) {
  ensureInstalled(log);
  const initdb = findBin("initdb");
  const pgCtl = findBin("pg_ctl");
  const asRoot = isRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-bench-pg-"));
  const data = path.join(dir, "data");
  const sock = dir;
  const run = (cmd, args) => {
    const full = asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
    return execFileSync(full[0], full[1], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  };
  if (asRoot) {
    const known = spawnSync("id", ["-u", "postgres"]);
    if (known.status !== 0) throw new Error("running as root and there is no 'postgres' user to run PostgreSQL as");
    fs.chmodSync(dir, 0o755);
    execFileSync("chown", ["postgres:postgres", dir]);
  }
  run(initdb, ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const opts = [`-p ${port}`, `-k ${sock}`, "-c listen_addresses=127.0.0.1", ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" ");
  run(pgCtl, ["-D", data, "-o", opts, "-l", path.join(dir, "log"), "-w", "-t", "60", "start"]);
  const version = run(findBin("postgres") ?? "postgres", ["--version"]).trim().replace(/^postgres \(PostgreSQL\) /, "");
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run(pgCtl, ["-D", data, "-m", "fast", "-w", "stop"]);
    } catch {
      // already gone
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", stop);
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, port, version, stop };
}
