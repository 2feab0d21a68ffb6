// Cold start for DBOS: a whole process that launches DBOS against the (already running, already
// migrated) PostgreSQL, runs one workflow of one step and exits.
import { DBOS } from "@dbos-inc/dbos-sdk";

process.noDeprecation = true;
const one = DBOS.registerWorkflow(async () => DBOS.runStep(async () => 1, { name: "one" }), { name: "trivial" });
DBOS.setConfig({ name: "flowline-bench-cold", systemDatabaseUrl: process.env.BENCH_DATABASE_URL, logLevel: "error" });
await DBOS.launch();
if ((await one()) !== 1) throw new Error("wrong result");
await DBOS.shutdown();
