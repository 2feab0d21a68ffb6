import { readFileSync } from "node:fs";

// What every engine's bench driver shares: the workloads' data and the message loop with bench/compare.mjs.
// The driver is forked with an IPC channel; it gets { id, op, args } and answers { id, value } or
// { id, error }. Timings are taken inside the driver with node's own clock, so the IPC round trip is
// never part of a figure. This file is copied next to each peer's node_modules by compare.mjs.

/** The record each task of the persist workload returns and stores (about 300 bytes as JSON). */
export function payload(i) {
  return {
    id: i,
    name: `item-${i}`,
    createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    tags: ["bench", i % 2 ? "odd" : "even"],
    values: Array.from({ length: 16 }, (_, k) => (i * 31 + k * 7) % 1000),
    ok: true,
  };
}

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Times one call: resolves to its wall time in ms. */
export async function timed(fn) {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/**
 * Serves the ops of `impl` to the parent. Every driver implements:
 *   setup(config)            -> { version, notes? }       once, before any op
 *   three({ runs })          -> number[]                  ms from start to result of each of `runs` runs of a 3-step flow
 *   noop({ n, mode })        -> number                    ms for one flow of n no-op tasks, mode "seq" or "fan"
 *   persist({ n })           -> number                    ms for one flow of n tasks, each persisting payload(i)
 *   teardown()
 */
export function serve(impl) {
  process.on("message", async (message) => {
    const { id, op, args } = message;
    try {
      const fn = impl[op];
      if (typeof fn !== "function") throw new Error(`this driver has no op '${op}'`);
      const value = await fn.call(impl, args ?? {});
      process.send({ id, value: value ?? null });
      if (op === "teardown") setTimeout(() => process.exit(0), 10).unref();
    } catch (err) {
      process.send({ id, error: err instanceof Error ? `${err.message}` : String(err) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ ready: true });
}

/** The version of an installed package, read from the node_modules beside this file (the peer's folder). */
export function installedVersion(name) {
  const file = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(file, "utf8")).version;
}
