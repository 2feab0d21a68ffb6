// Small helpers shared by the benchmarks: timing, medians, and child processes.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const DIST = path.join(ROOT, "dist");

export function tempDir(prefix = "flowline-bench-") {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs a command to completion; resolves to its wall time in ms (rejects on a non-zero exit). */
export function timeCommand(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], ...options });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const ms = nowMs() - start;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

/** Runs a bench script in a fresh node process and returns the JSON it prints last. */
export function runNodeJson(script, args = [], options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited ${code}`));
      const last = out.trim().split("\n").pop();
      try {
        resolve(JSON.parse(last));
      } catch (err) {
        reject(new Error(`${script} printed no JSON: ${out}`));
      }
    });
  });
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export function fmt(n, digits = 2) {
  if (n === undefined || Number.isNaN(n)) return "-";
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}
