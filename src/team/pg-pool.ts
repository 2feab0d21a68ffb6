import { teamDrivers, type PgPool } from "./drivers";
import { migratePg, redactUrl } from "./pg-schema";
import { UserError } from "../engine/errors";

// One pool per database URL and process, migrated once before its first use.

const pools = new Map<string, Promise<PgPool>>();

export function teamPool(url: string): Promise<PgPool> {
  let pool = pools.get(url);
  if (!pool) {
    pool = open(url);
    pools.set(url, pool);
    pool.catch(() => pools.delete(url));
  }
  return pool;
}

async function open(url: string): Promise<PgPool> {
  const { pg } = teamDrivers();
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: "flowline", allowExitOnIdle: true });
  // An idle client that loses its server must not crash the process: the next query reports it.
  pool.on("error", () => undefined);
  const client = await pool.connect().catch((err: Error) => {
    void pool.end();
    throw new UserError(`Cannot reach the team database ${redactUrl(url)}: ${err.message}. Check FLOWLINE_DATABASE_URL (or flowline.databaseUrl) and that the server is running.`);
  });
  try {
    await migratePg(client, url);
  } finally {
    client.release();
  }
  return pool;
}

/** Ends every pool of this process (a CLI command that is done; a test). */
export async function closeTeamPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.then((pool) => pool.end()).catch(() => undefined)));
}
