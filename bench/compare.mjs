// Flowline side by side with the engines a user would pick instead, on this machine, in one run.
//
//   node bench/compare.mjs            prints one JSON line (bench/run.mjs renders it)
//   node bench/compare.mjs --table    also prints the markdown table
//
// Each peer is installed by this script from bench/peers/<name>/package.json into .cache/bench-peers/<name>
// (git-ignored; never the extension's dependencies). Servers a peer needs run privately on loopback
// ports and are stopped at the end: PostgreSQL for DBOS (Debian's package, apt-get installed if
// missing), the Restate server (the binary its npm package ships). Every engine runs in its own
// long-lived process; the workloads go round the engines in turn, a different engine first each
// round, so that all of them see the same machine, and the figures are medians of those rounds.
//
// Environment: FLOWLINE_BENCH_PEERS=0 skips the peers (Flowline and its baselines only);
// FLOWLINE_BENCH_PEERS=dbos,mastra picks some; FLOWLINE_BENCH_QUICK=1 runs fewer rounds.
import { execFileSync, fork, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, machine, median, percentile, tempDir, timeCommand } from "./lib.mjs";
import { freePort, startPostgres } from "./peers/postgres.mjs";
import { renderComparison } from "./compare-report.mjs";

const BENCH = path.join(ROOT, "bench");
const CACHE = path.join(ROOT, ".cache", "bench-peers");
const QUICK = process.env.FLOWLINE_BENCH_QUICK === "1";
const PEERS_ENV = (process.env.FLOWLINE_BENCH_PEERS ?? "1").trim();
const ALL_PEERS = ["dbos", "restate", "mastra"];
const wantedPeers = PEERS_ENV === "0" || PEERS_ENV === "" ? [] : PEERS_ENV === "1" ? ALL_PEERS : PEERS_ENV.split(",").map((s) => s.trim());
const log = (text) => process.stderr.write(`  ${text}\n`);
const started = Date.now();
const cleanups = [];

/** Peers that cannot run on this machine, and why, in one line each (checked by hand; see bench/NOTES.md). */
const NOT_RUN = [
  ["Temporal (TypeScript SDK)", "needs a Temporal server: the dev server (Temporal CLI / `@temporalio/testing`) is a binary downloaded from outside the npm registry at run time, which this machine cannot reach"],
  ["Inngest", "needs the Inngest dev server, a Go binary the `inngest-cli` npm package downloads from outside the registry when installed"],
  ["Vercel Workflow DevKit (`workflow`)", "not tried yet: a workflow runs only after its build step (`workflow build`, an SWC transform of the \"use workflow\"/\"use step\" directives) behind an HTTP server that the local world's queue calls back, which is more than a script that calls it"],
  ["Prefect 2", "Python; PyPI is not reachable here (published figure only: ~100 ms a task run)"],
];

// ---------------------------------------------------------------------------------------------
// Installing peers

function installPeer(name) {
  const src = path.join(BENCH, "peers", name);
  const dest = path.join(CACHE, name);
  fs.mkdirSync(dest, { recursive: true });
  const manifest = fs.readFileSync(path.join(src, "package.json"), "utf8");
  const marker = path.join(dest, ".installed-package.json");
  if (!(fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === manifest && fs.existsSync(path.join(dest, "node_modules")))) {
    log(`installing ${name} into ${path.relative(ROOT, dest)}…`);
    fs.writeFileSync(path.join(dest, "package.json"), manifest);
    try {
      execFileSync("npm", ["install", "--prefix", dest, "--no-audit", "--no-fund", "--loglevel=error", "--no-package-lock"], {
        stdio: ["ignore", "ignore", "pipe"],
        // The Restate server package pings an analytics service when installed; there is no network for it.
        env: { ...process.env, SCARF_ANALYTICS: "false" },
        encoding: "utf8",
      });
    } catch (err) {
      throw new Error(`npm install failed: ${String(err.stderr ?? err.message).trim().split("\n").slice(-1)[0]}`);
    }
    fs.writeFileSync(marker, manifest);
  }
  // The drivers run from next to their node_modules, with the shared protocol beside them.
  for (const file of fs.readdirSync(src)) if (file.endsWith(".mjs")) fs.copyFileSync(path.join(src, file), path.join(dest, file));
  fs.copyFileSync(path.join(BENCH, "peers", "protocol.mjs"), path.join(dest, "protocol.mjs"));
  return dest;
}

// ---------------------------------------------------------------------------------------------
// Servers the peers need

async function startRestateServer(dir) {
  const pkg = `@restatedev/restate-server-${process.platform}-${process.arch}`;
  const bin = path.join(dir, "node_modules", pkg, "bin", "restate-server");
  if (!fs.existsSync(bin)) throw new Error(`the Restate server binary for ${process.platform}-${process.arch} (${pkg}) was not installed`);
  const base = tempDir("flowline-bench-restate-");
  const [ingress, admin, node] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(bin, ["--no-logo", "--base-dir", base], {
    env: {
      ...process.env,
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
      RESTATE_BIND_ADDRESS: `127.0.0.1:${node}`,
      RESTATE_LISTEN_MODE: "tcp",
      RESTATE_DISABLE_TELEMETRY: "true",
      RESTATE_ADMIN__DISABLE_WEB_UI: "true",
      RESTATE_LOG_FILTER: "off",
    },
    stdio: ["ignore", "ignore", "ignore"],
  });
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 10_000))]);
      if (!exited) child.kill("SIGKILL");
    }
    fs.rmSync(base, { recursive: true, force: true });
  };
  const version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim().replace(/^restate-server\s*/, "");
  const adminUrl = `http://127.0.0.1:${admin}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error("the Restate server exited while starting");
    try {
      if ((await fetch(`${adminUrl}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("the Restate server did not become healthy within 60 s");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ingressUrl: `http://127.0.0.1:${ingress}`, adminUrl, version, stop };
}

// ---------------------------------------------------------------------------------------------
// Engines: one driver process each

class Driver {
  constructor(key, label, script, cwd, env = {}) {
    Object.assign(this, { key, label, script, cwd, env, error: undefined, version: undefined });
    this.pending = new Map();
    this.nextId = 1;
  }
  start() {
    this.child = fork(this.script, [], { cwd: this.cwd, env: { ...process.env, ...this.env }, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.stderr = "";
    this.child.stderr.on("data", (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    const ready = new Promise((resolve, reject) => {
      this.child.once("message", (m) => (m?.ready ? resolve() : reject(new Error("driver did not say ready"))));
      this.child.once("exit", (code) => reject(new Error(`driver exited (${code}) before it was ready: ${lastLine(this.stderr)}`)));
    });
    this.child.on("message", (m) => {
      const waiting = this.pending.get(m?.id);
      if (!waiting) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) waiting.reject(new Error(m.error));
      else waiting.resolve(m.value);
    });
    this.child.on("exit", (code, signal) => {
      for (const w of this.pending.values()) w.reject(new Error(`driver exited (${signal ?? code}): ${lastLine(this.stderr)}`));
      this.pending.clear();
      this.exited = true;
    });
    return ready;
  }
  call(op, args, timeoutMs = 180_000) {
    if (this.exited) return Promise.reject(new Error("driver is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`'${op}' took longer than ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ id, op, args });
    });
  }
  async stop() {
    if (this.exited || !this.child) return;
    try {
      await this.call("teardown", {}, 20_000);
    } catch {
      // it is stopped below either way
    }
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

function lastLine(text) {
  return (
    String(text)
      .trim()
      .split("\n")
      .filter((l) => l.trim())
      .pop() ?? ""
  ).slice(0, 300);
}

// ---------------------------------------------------------------------------------------------
// Workloads

const ROUNDS = QUICK ? 3 : 5; // timed rounds of the 1,000-task workloads (after one warm-up round)
const LAT_ROUNDS = QUICK ? 4 : 10; // rounds of the latency workload, LAT_RUNS runs each (after one warm-up round)
const LAT_RUNS = 10;
const COLD_RUNS = QUICK ? 4 : 10;
const N = 1000;

const WORKLOADS = [
  { key: "three", op: "three", bare: "bareThree", args: { runs: LAT_RUNS }, rounds: LAT_ROUNDS, kind: "latency" },
  { key: "noopSeq", op: "noop", bare: "bareNoop", args: { n: N, mode: "seq" }, rounds: ROUNDS, kind: "perTask" },
  { key: "noopFan", op: "noop", bare: "bareNoop", args: { n: N, mode: "fan" }, rounds: ROUNDS, kind: "perTask" },
  { key: "persist", op: "persist", bare: "bareWrite", args: { n: N }, rounds: ROUNDS, kind: "perTask" },
];

/** Runs a workload round-robin over the engines (and the baseline); rotates who goes first each round. */
async function runWorkload(w, flowline, peers) {
  const runners = [
    { key: "bare", driver: flowline, op: w.bare },
    { key: flowline.key, driver: flowline, op: w.op },
    ...peers.filter((d) => !d.notApplicable[w.key]).map((d) => ({ key: d.key, driver: d, op: w.op })),
  ];
  const samples = Object.fromEntries(runners.map((r) => [r.key, []]));
  for (let round = -1; round < w.rounds; round++) {
    const shift = ((round % runners.length) + runners.length) % runners.length;
    const order = [...runners.slice(shift), ...runners.slice(0, shift)];
    for (const r of order) {
      if (r.driver.error) continue;
      try {
        const value = await r.driver.call(r.op, w.args);
        if (round < 0) continue; // warm-up: JIT, connections, caches
        if (w.kind === "latency") samples[r.key].push(...value);
        else samples[r.key].push((value * 1000) / w.args.n); // µs per task
      } catch (err) {
        if (r.key === "bare" || r.key === "flowline") throw err;
        r.driver.error = `${w.key}: ${err.message}`;
        log(`${r.driver.label} failed on ${w.key}: ${err.message}`);
      }
    }
  }
  const out = {};
  for (const [key, list] of Object.entries(samples)) {
    if (list.length === 0) continue;
    out[key] = w.kind === "latency" ? { median: median(list), p95: percentile(list, 95), n: list.length } : { median: median(list), min: Math.min(...list), max: Math.max(...list), n: list.length };
  }
  return out;
}

async function coldStarts(commands) {
  const samples = Object.fromEntries(commands.map((c) => [c.key, []]));
  for (let round = -1; round < COLD_RUNS; round++) {
    const shift = ((round % commands.length) + commands.length) % commands.length;
    for (const c of [...commands.slice(shift), ...commands.slice(0, shift)]) {
      if (c.error) continue;
      try {
        const ms = await timeCommand(c.cmd, c.args, { cwd: c.cwd, env: { ...process.env, ...c.env } });
        if (round >= 0) samples[c.key].push(ms);
      } catch (err) {
        c.error = lastLine(err.message);
        log(`cold start of ${c.key} failed: ${c.error}`);
      }
    }
  }
  const out = {};
  for (const c of commands) if (samples[c.key].length) out[c.key] = { median: median(samples[c.key]), p95: percentile(samples[c.key], 95), n: samples[c.key].length };
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const engines = [];
  const skipped = [];
  const infra = {};
  const flowline = new Driver("flowline", "Flowline", path.join(BENCH, "compare-flowline.mjs"), ROOT, { FLOWLINE_HOME: tempDir("flowline-bench-home-") });
  await flowline.start();
  flowline.version = (await flowline.call("setup", {})).version;
  engines.push(flowline);

  const dirs = {};
  for (const name of wantedPeers) {
    if (!ALL_PEERS.includes(name)) {
      skipped.push({ label: name, reason: `unknown peer (known: ${ALL_PEERS.join(", ")})` });
      continue;
    }
    try {
      dirs[name] = installPeer(name);
    } catch (err) {
      skipped.push({ label: name, reason: err.message });
    }
  }

  const candidates = [];
  if (dirs.dbos) {
    try {
      log("starting PostgreSQL…");
      const pg = await startPostgres({ log });
      cleanups.push(() => pg.stop());
      infra.postgres = pg.version;
      const db = (name) => pg.url.replace(/\/postgres$/, `/${name}`);
      candidates.push({ key: "dbos", label: "DBOS", peer: "dbos", setup: { databaseUrl: db("dbos_bench") }, coldEnv: { BENCH_DATABASE_URL: db("dbos_bench") } });
      candidates.push({
        key: "dbosAsync",
        label: "DBOS, commit without fsync",
        peer: "dbos",
        setup: { databaseUrl: db("dbos_bench_async"), databaseSettings: { synchronous_commit: "off" } },
        coldEnv: { BENCH_DATABASE_URL: db("dbos_bench_async") },
      });
    } catch (err) {
      skipped.push({ label: "DBOS", reason: `PostgreSQL could not be started: ${lastLine(err.message)}` });
    }
  }
  if (dirs.restate) {
    try {
      log("starting the Restate server…");
      const server = await startRestateServer(dirs.restate);
      cleanups.push(() => server.stop());
      infra.restate = server.version;
      const coldPort = await freePort();
      candidates.push({
        key: "restate",
        label: "Restate",
        peer: "restate",
        setup: { ingressUrl: server.ingressUrl, adminUrl: server.adminUrl, port: await freePort(), serverVersion: server.version },
        coldEnv: { BENCH_RESTATE_INGRESS: server.ingressUrl, BENCH_RESTATE_ADMIN: server.adminUrl, BENCH_RESTATE_COLD_PORT: String(coldPort) },
      });
    } catch (err) {
      skipped.push({ label: "Restate", reason: lastLine(err.message) });
    }
  }
  if (dirs.mastra) {
    const dbDir = tempDir("flowline-bench-mastra-");
    cleanups.push(() => fs.rmSync(dbDir, { recursive: true, force: true }));
    candidates.push({ key: "mastra", label: "Mastra, LibSQL store", peer: "mastra", setup: { dbFile: path.join(dbDir, "bench.db") }, coldEnv: { BENCH_MASTRA_DB: path.join(dbDir, "cold.db") } });
    // Without a store Mastra keeps no result anywhere, so it has no figure for the persist workload.
    candidates.push({ key: "mastraMem", label: "Mastra, in memory", peer: "mastra", setup: {}, coldEnv: { BENCH_MASTRA_DB: "" }, notApplicable: { persist: "n/a: no store" } });
  }

  const peers = [];
  for (const c of candidates) {
    const driver = new Driver(c.key, c.label, path.join(dirs[c.peer], "bench.mjs"), dirs[c.peer], { RESTATE_LOGGING: "ERROR" });
    driver.peer = c.peer;
    driver.coldEnv = c.coldEnv;
    driver.notApplicable = c.notApplicable ?? {};
    try {
      log(`starting ${c.label}…`);
      await driver.start();
      driver.version = (await driver.call("setup", c.setup, 120_000)).version;
      peers.push(driver);
      engines.push(driver);
    } catch (err) {
      skipped.push({ label: c.label, reason: lastLine(err.message) });
      await driver.stop();
    }
  }

  const workloads = {};
  for (const w of WORKLOADS) {
    log(`workload ${w.key}…`);
    workloads[w.key] = await runWorkload(w, flowline, peers);
  }
  for (const d of engines) await d.stop();

  log("cold starts…");
  const coldDir = tempDir("flowline-bench-cold-");
  cleanups.push(() => fs.rmSync(coldDir, { recursive: true, force: true }));
  fs.writeFileSync(
    path.join(coldDir, "trivial.ts"),
    `import { flow, task } from "flowline";\nconst one = task({ name: "one" }, async () => 1);\nexport const trivial = flow({ name: "trivial" }, async () => one());\n`,
  );
  fs.writeFileSync(
    path.join(coldDir, "trivial-sdk.cjs"),
    `const { flow, task } = require(${JSON.stringify(path.join(ROOT, "dist", "flowline.js"))});\nconst one = task({ name: "one" }, async () => 1);\nflow({ name: "trivial" }, async () => one())().then((v) => { if (v !== 1) process.exit(1); });\n`,
  );
  const home = { FLOWLINE_HOME: path.join(coldDir, ".flowline"), FLOWLINE_LOGGING_LEVEL: "WARNING" };
  const commands = [
    { key: "bare", cmd: process.execPath, args: ["-e", "0"], cwd: coldDir },
    { key: "flowline", cmd: process.execPath, args: [path.join(ROOT, "bin", "flowline.js"), "run", "trivial.ts"], cwd: coldDir, env: home },
    { key: "flowlineSdk", cmd: process.execPath, args: ["trivial-sdk.cjs"], cwd: coldDir, env: home },
  ];
  for (const d of peers) {
    if (d.error) continue;
    const dir = dirs[d.peer];
    if (d.peer === "restate") {
      // Deploying the service is a one-time step, not part of starting a process that uses it.
      try {
        await timeCommand(process.execPath, ["cold.mjs", "--register"], { cwd: dir, env: { ...process.env, ...d.coldEnv, RESTATE_LOGGING: "ERROR" } });
      } catch (err) {
        skipped.push({ label: `${d.label} cold start`, reason: lastLine(err.message) });
        continue;
      }
    }
    commands.push({ key: d.key, cmd: process.execPath, args: ["cold.mjs"], cwd: dir, env: { ...d.coldEnv, RESTATE_LOGGING: "ERROR" } });
  }
  const cold = await coldStarts(commands);
  for (const c of commands) if (c.error) skipped.push({ label: `${c.key} cold start`, reason: c.error });

  return {
    machine: machine(),
    date: new Date().toISOString(),
    quick: QUICK,
    engines: engines.map((d) => ({ key: d.key, label: d.label, version: d.version, error: d.error, notApplicable: d.notApplicable })),
    infra,
    skipped,
    notRun: NOT_RUN.map(([label, reason]) => ({ label, reason })),
    workloads,
    cold,
    seconds: (Date.now() - started) / 1000,
  };
}

async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
}

try {
  const result = await main();
  await cleanup();
  if (process.argv.includes("--table")) process.stdout.write(`${renderComparison(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (err) {
  await cleanup();
  process.stderr.write(`compare: ${err.stack ?? err}\n`);
  process.exit(1);
}
