// Cold start for Mastra: a whole process that runs a one-step workflow (snapshots in a LibSQL file
// when BENCH_MASTRA_DB is set) and exits.
import { makeMastra, runWorkflow } from "./workflows.mjs";

const mastra = await makeMastra(process.env.BENCH_MASTRA_DB || undefined);
if ((await runWorkflow(mastra, "trivial", 0)) !== 1) throw new Error("wrong result");
process.exit(0);
