// DBOS Transact's driver for bench/compare.mjs: the same workloads as Flowline's, as DBOS workflows whose
// steps are checkpointed in PostgreSQL (a private cluster compare.mjs starts on a loopback port).
import { DBOS } from "@dbos-inc/dbos-sdk";
import pg from "pg";
import { installedVersion, payload, serve, timed } from "./protocol.mjs";

process.noDeprecation = true; // pg warns about its own queued queries, once per process

const inc = async (x) => x + 1;
const three = DBOS.registerWorkflow(
  async (x) => {
    x = await DBOS.runStep(() => inc(x), { name: "inc" });
    x = await DBOS.runStep(() => inc(x), { name: "inc" });
    return DBOS.runStep(() => inc(x), { name: "inc" });
  },
  { name: "three" },
);
const noopSeq = DBOS.registerWorkflow(
  async (n) => {
    for (let i = 0; i < n; i++) await DBOS.runStep(async () => i, { name: "noop" });
  },
  { name: "noopSeq" },
);
const noopFan = DBOS.registerWorkflow(
  async (n) => {
    await Promise.all(Array.from({ length: n }, (_, i) => DBOS.runStep(async () => i, { name: "noop" })));
  },
  { name: "noopFan" },
);
const persistSeq = DBOS.registerWorkflow(
  async (n) => {
    for (let i = 0; i < n; i++) await DBOS.runStep(async () => payload(i), { name: "keep" });
  },
  { name: "persist" },
);

/** Makes the system database beforehand when its settings differ from the cluster's (synchronous_commit=off). */
async function prepareDatabase(url, settings) {
  if (!settings || Object.keys(settings).length === 0) return;
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
    for (const [key, value] of Object.entries(settings)) await client.query(`ALTER DATABASE "${name}" SET ${key} = '${value}'`);
  } finally {
    await client.end();
  }
}

serve({
  async setup({ databaseUrl, databaseSettings }) {
    await prepareDatabase(databaseUrl, databaseSettings);
    DBOS.setConfig({ name: "flowline-bench", systemDatabaseUrl: databaseUrl, logLevel: "error" });
    await DBOS.launch();
    return { version: installedVersion("@dbos-inc/dbos-sdk") };
  },
  async three({ runs }) {
    const out = [];
    for (let r = 0; r < runs; r++) out.push(await timed(() => three(1)));
    return out;
  },
  async noop({ n, mode }) {
    return timed(() => (mode === "fan" ? noopFan(n) : noopSeq(n)));
  },
  async persist({ n }) {
    return timed(() => persistSeq(n));
  },
  async teardown() {
    await DBOS.shutdown();
  },
});
