import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureBuilt } from "../unit/helpers/build";
export { ensureBuilt };

// Shared by the fault suites: the real CLI in temp folders, seeded randomness, process checks, figures.

export const REPO = path.resolve(__dirname, "..", "..");
export const CLI = path.join(REPO, "bin", "flowline.js");
export const FIXTURES = path.join(REPO, "test", "fixtures", "faults");

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export const show = (r: Result): string => `exit ${r.code} ${r.signal ?? ""}\n--- stdout ---\n${r.stdout.slice(0, 4000)}\n--- stderr ---\n${r.stderr.slice(0, 4000)}`;


export function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const k of ["FLOWLINE_HOME", "FLOWLINE_RETENTION_DAYS", "FLOWLINE_MAX_LOG_LINES", "NODE_OPTIONS"]) if (!(k in env)) delete full[k];
  return full;
}

/** Starts the CLI; `done` resolves with its output. */
export function startCli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000): { proc: ChildProcess; done: Promise<Result> } {
  const started = Date.now();
  const proc = spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const done = new Promise<Result>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    proc.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    proc.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.on("error", reject);
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { proc, done };
}

export function cli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Result> {
  return startCli(args, cwd, env, timeoutMs).done;
}

/** A node process running a TypeScript script (tsx), for store writers and the like. */
export function startScript(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["-r", "tsx/cjs", script, ...args], { cwd: REPO, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
}

export function exited(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = "";
  proc.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  proc.stdout?.resume();
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve({ code: proc.exitCode, signal: proc.signalCode, stderr });
    proc.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `flowline-faults-${tag}-`));
}

/** A temp workspace with the given fixture files copied in. */
export function workspace(tag: string, ...files: string[]): string {
  const dir = tempDir(tag);
  for (const f of files) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)));
  return dir;
}

/** mulberry32: a small seeded generator, so a failing trial can be replayed (FAULT_SEED). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED = Number(process.env.FAULT_SEED ?? 20261127);

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** True while the process exists and is not a zombie (a killed child not yet reaped by its parent). */
export function running(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

export function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The figures every suite adds to the closing totals line, by the keys suites report them under. A suite
 * that reports no `trials` ran one; other keys (created, seed, …) stay in its own line.
 */
const TOTALS = ["trials", "faultsInjected", "acknowledgedWritesChecked", "writesLost", "hostileInputsTried", "inputsThatExecutedAnything"] as const;
const totals = new Map<string, number>(TOTALS.map((k) => [k, 0]));
let suites = 0;

/** One summary line per suite, in the test output (RELIABILITY.md is written from these). */
export function summary(suite: string, figures: Record<string, number | string>): void {
  const text = Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(" ");
  process.stdout.write(`\n  FAULTS SUMMARY [${suite}] ${text}\n`);
  suites++;
  for (const key of TOTALS) {
    const value = figures[key] ?? (key === "trials" ? 1 : 0);
    totals.set(key, (totals.get(key) ?? 0) + (typeof value === "number" ? value : Number(value) || 0));
  }
}

// A root hook (this module is loaded by every fault suite, once): after the last suite, one line over all.
if (typeof after === "function") {
  after(() => {
    if (suites === 0) return;
    const text = TOTALS.map((k) => `${k}=${totals.get(k)}`).join(" ");
    process.stdout.write(`\n  FAULTS TOTAL [${suites} suite${suites === 1 ? "" : "s"}] ${text}\n`);
  });
}

/** Opens a database file by itself (no store code) and runs SQLite's quick_check; returns its answer. */
export async function quickCheck(file: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const initSqlJs = require("sql.js") as typeof import("sql.js").default;
  const SQL = await initSqlJs();
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    return String(db.exec("PRAGMA quick_check")[0]?.values[0]?.[0]);
  } finally {
    db.close();
  }
}

/**
 * The store's files as a reader finds them, read with sql.js alone (no store code): the index, then every
 * segment database it names. `check` is "ok" when the index and each of those pass quick_check; `query`
 * runs on each segment and its rows are concatenated.
 */
export async function readStoreFiles(home: string, query: string): Promise<{ rows: unknown[][]; check: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const initSqlJs = require("sql.js") as typeof import("sql.js").default;
  const SQL = await initSqlJs();
  const index = new SQL.Database(fs.readFileSync(path.join(home, "flowline.db")));
  const rows: unknown[][] = [];
  const checks: string[] = [];
  try {
    checks.push(String(index.exec("PRAGMA quick_check")[0]?.values[0]?.[0]));
    const files = (index.exec("SELECT db_file FROM segments WHERE db_file IS NOT NULL")[0]?.values ?? []).map((r) => String(r[0]));
    for (const file of files) {
      const seg = new SQL.Database(fs.readFileSync(path.join(home, "data", file)));
      try {
        checks.push(String(seg.exec("PRAGMA quick_check")[0]?.values[0]?.[0]));
        rows.push(...(seg.exec(query)[0]?.values ?? []));
      } finally {
        seg.close();
      }
    }
  } finally {
    index.close();
  }
  return { rows, check: checks.every((c) => c === "ok") ? "ok" : checks.filter((c) => c !== "ok").join("; ") };
}

/** Folds every journal (as any command does), then reads the artifact ids straight from the files. */
export async function syncedArtifactIds(home: string): Promise<{ ids: Set<string>; rows: number; check: string; warnings: string[] }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openStore } = require("../../src/store") as typeof import("../../src/store");
  const store = await openStore(home, { sync: true });
  await store.sync({ wait: true }); // written to the files, even if another process held the lock a moment ago
  const warnings = [...store.warnings];
  store.close();
  const { rows, check } = await readStoreFiles(home, "SELECT id FROM artifacts");
  return { ids: new Set(rows.map((r) => String(r[0]))), rows: rows.length, check, warnings };
}
