import * as fs from "node:fs";
import * as path from "node:path";
import { cli, tempDir, type Result } from "../faults/helpers";

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
  };
  return m;
}
