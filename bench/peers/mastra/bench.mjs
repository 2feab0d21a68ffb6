// Mastra's driver for bench/compare.mjs: workflows run in this process, their snapshots kept in a
// LibSQL file (Mastra's documented local storage) or, for the in-memory variant, nowhere.
import { installedVersion, serve, timed } from "./protocol.mjs";
import { makeMastra, runWorkflow } from "./workflows.mjs";

let mastra;
const range = (n) => Array.from({ length: n }, (_, i) => i);

serve({
  async setup({ dbFile }) {
    mastra = await makeMastra(dbFile);
    const core = installedVersion("@mastra/core");
    if (!dbFile) return { version: core };
    const libsql = installedVersion("@mastra/libsql");
    return { version: `${core}, @mastra/libsql ${libsql}` };
  },
  async three({ runs }) {
    const out = [];
    for (let r = 0; r < runs; r++) out.push(await timed(() => runWorkflow(mastra, "three", 1)));
    return out;
  },
  async noop({ n, mode }) {
    return timed(() => runWorkflow(mastra, mode === "fan" ? "noopFan" : "noopSeq", range(n)));
  },
  async persist({ n }) {
    return timed(() => runWorkflow(mastra, "persist", range(n)));
  },
  async teardown() {},
});
