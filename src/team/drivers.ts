import * as fs from "node:fs";
import * as path from "node:path";
import type * as Pg from "pg";
import type PgBossType from "pg-boss";

// The PostgreSQL driver and the queue are loaded only in team mode: a home without FLOWLINE_DATABASE_URL
// never reads them. Built, they are one bundle beside the others (dist/team-drivers.js, see esbuild.mjs);
// from source (tests under tsx), the packages themselves.

export type PgClient = Pg.ClientBase;
export type PgPool = Pg.Pool;
export type PgBoss = PgBossType;

export interface TeamDrivers {
  pg: typeof Pg;
  PgBoss: typeof PgBossType;
}

let loaded: TeamDrivers | undefined;

export function teamDrivers(): TeamDrivers {
  if (loaded) return loaded;
  const beside = path.join(__dirname, "team-drivers.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = fs.existsSync(beside) ? (require(beside) as TeamDrivers) : { pg: require("pg") as typeof Pg, PgBoss: require("pg-boss") as typeof PgBossType };
  // Counts come back as numbers, not strings (bigint columns hold sequence numbers far below 2^53).
  loaded.pg.types.setTypeParser(20, (v: string) => Number(v));
  return loaded;
}
