import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

// A private PostgreSQL cluster for the team suite, from Debian's `postgresql` package: initdb into a temp
// folder, a free loopback port, unix sockets in that folder, trust auth, stopped (and deleted) at the end.
// Every team test uses it through `freshDatabase()`; mocha loads this file as a root hook plugin
// (`--require test/team/cluster.ts`), so the suite starts one server, whatever number of files it runs.

const PG_ROOT = "/usr/lib/postgresql";

interface Cluster {
  dir: string;
  data: string;
  port: number;
  bin: string;
}

let cluster: Cluster | undefined;
let databases = 0;

/** The newest installed server's bin folder, or a clear error: the team suite never skips silently. */
function serverBin(): string {
  const versions = fs.existsSync(PG_ROOT) ? fs.readdirSync(PG_ROOT).filter((v) => fs.existsSync(path.join(PG_ROOT, v, "bin", "initdb"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      `The team tests need a real PostgreSQL server, and none is installed (no ${PG_ROOT}/<version>/bin/initdb). ` +
        "Install Debian's package (sudo apt-get install postgresql), as .ci/run does, then run them again.",
    );
  }
  return path.join(PG_ROOT, newest, "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, the server's commands run as the `postgres` user. */
function asServerUser(bin: string, args: string[]): void {
  const tool = path.join(cluster?.bin ?? "", bin);
  const [cmd, argv] = process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", tool, ...args]] : [tool, args];
  const r = spawnSync(cmd, argv, { encoding: "utf8", cwd: os.tmpdir() });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export async function startCluster(): Promise<Cluster> {
  if (cluster) return cluster;
  const bin = serverBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-pg-"));
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres:", dir]);
  const data = path.join(dir, "data");
  const port = await freePort();
  cluster = { dir, data, port, bin };
  asServerUser("initdb", ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", data]);
  // fsync off: a test cluster needs no durability, and the machine is shared.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  asServerUser("pg_ctl", ["-D", data, "-o", opts, "-l", path.join(dir, "server.log"), "-w", "start"]);
  return cluster;
}

export function stopCluster(): void {
  if (!cluster) return;
  try {
    asServerUser("pg_ctl", ["-D", cluster.data, "-m", "immediate", "-w", "stop"]);
  } finally {
    fs.rmSync(cluster.dir, { recursive: true, force: true });
    cluster = undefined;
  }
}

/** The URL of a new, empty database on the suite's cluster (one per test keeps tests apart). */
export async function freshDatabase(): Promise<string> {
  const c = await startCluster();
  const name = `t${process.pid}_${++databases}`;
  asServerUser("createdb", ["-h", c.dir, "-p", String(c.port), "-U", "postgres", name]);
  return `postgres://postgres@127.0.0.1:${c.port}/${name}`;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await startCluster();
  },
  afterAll(): void {
    stopCluster();
  },
};

process.on("exit", () => {
  if (cluster) stopCluster();
});
