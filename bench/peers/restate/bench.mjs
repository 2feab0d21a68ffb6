// Restate's driver for bench/compare.mjs: the workloads as handlers of a service this process serves
// (HTTP/2, the SDK's default), invoked through the Restate server's ingress as a client would.
import { installedVersion, serve, timed } from "./protocol.mjs";
import { bench, call, register, restate } from "./service.mjs";

let ingress;

serve({
  async setup({ ingressUrl, adminUrl, port, serverVersion }) {
    ingress = ingressUrl;
    await restate.endpoint().bind(bench).listen(port);
    await register(adminUrl, `http://127.0.0.1:${port}`);
    // The ingress takes its first calls a moment after the admin API is up.
    for (const deadline = Date.now() + 60_000; ; ) {
      try {
        await call(ingress, "bench", "three", 1);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { version: `server ${serverVersion}, SDK ${installedVersion("@restatedev/restate-sdk")}` };
  },
  async three({ runs }) {
    const out = [];
    for (let r = 0; r < runs; r++) out.push(await timed(() => call(ingress, "bench", "three", 1)));
    return out;
  },
  async noop({ n, mode }) {
    return timed(() => call(ingress, "bench", mode === "fan" ? "noopFan" : "noopSeq", n));
  },
  async persist({ n }) {
    return timed(() => call(ingress, "bench", "persist", n));
  },
  async teardown() {},
});
