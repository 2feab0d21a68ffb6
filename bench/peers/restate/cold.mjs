// Cold start for Restate: a whole process that serves the (already registered) `cold` service, calls
// its one-step handler through the running Restate server, and exits. With --register it registers
// the deployment first (compare.mjs does that once, untimed, as a deploy would).
import { call, cold, register, restate } from "./service.mjs";

const port = Number(process.env.BENCH_RESTATE_COLD_PORT);
await restate.endpoint().bind(cold).listen(port);
if (process.argv.includes("--register")) await register(process.env.BENCH_RESTATE_ADMIN, `http://127.0.0.1:${port}`);
if ((await call(process.env.BENCH_RESTATE_INGRESS, "cold", "trivial", null)) !== 1) throw new Error("wrong result");
process.exit(0);
