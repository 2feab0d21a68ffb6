import * as fs from "node:fs";
import * as path from "node:path";
import type { ChildProcess } from "node:child_process";
import { cli, startCli, tempDir, waitFor, type Result } from "../faults/helpers";

// Machines for the team suite: each is its own folder with its own home, sharing only the database URL.

export const TEAM_FIXTURES = path.resolve(__dirname, "..", "fixtures", "team");

export interface Machine {
  name: string;
  dir: string;
  env: Record<string, string>;
  /** The CLI on this machine. */
  run(args: string[], timeoutMs?: number): Promise<Result>;
  /** The CLI with --json, parsed; fails with its output when it did not exit 0. */
  json<T>(args: string[]): Promise<T>;
  /** Starts `flowline worker <file>` here; resolves once it serves its queue. */
  worker(file: string, concurrency: number, env?: Record<string, string>): Promise<Worker>;
}

export interface Worker {
  proc: ChildProcess;
  /** What it printed so far. */
  log(): string;
  done: Promise<Result>;
}

export function machine(name: string, url: string, fixtures: string[], env: Record<string, string> = {}): Machine {
  const dir = tempDir(`team-${name}`);
  for (const f of fixtures) fs.copyFileSync(path.join(TEAM_FIXTURES, f), path.join(dir, f));
  const full = { FLOWLINE_DATABASE_URL: url, FLOWLINE_HOME: path.join(dir, ".flowline"), MACHINE: name, ...env };
  const m: Machine = {
    name,
    dir,
    env: full,
    run: (args, timeoutMs = 90_000) => cli(args, dir, full, timeoutMs),
    async json<T>(args: string[]): Promise<T> {
      const r = await m.run([...args, "--json"]);
      if (r.code !== 0) throw new Error(`flowline ${args.join(" ")} on ${name}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
      return JSON.parse(r.stdout) as T;
    },
    async worker(file, concurrency, env = {}) {
      const { proc, done } = startCli(["worker", file, "--concurrency", String(concurrency)], dir, { ...full, ...env }, 600_000);
      let text = "";
      proc.stderr!.on("data", (t: Buffer | string) => (text += String(t)));
      let exited = false;
      void done.then(() => (exited = true));
      await waitFor(() => text.includes("serving queue") || exited, 30_000, `the worker on ${name} to serve its queue`);
      if (exited) throw new Error(`the worker on ${name} exited: ${text}`);
      return { proc, log: () => text, done };
    },
  };
  return m;
}
