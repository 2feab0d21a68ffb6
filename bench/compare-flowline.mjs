// Flowline's driver for the side-by-side benchmark (bench/compare.mjs), with the bare baselines the
// report divides by, measured in this same process: plain async calls and plain fs.promises.writeFile.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { payload, serve, timed } from "./peers/protocol.mjs";

const DIST = process.env.FLOWLINE_DIST ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "dist");
process.env.FLOWLINE_HOME ??= fs.mkdtempSync(path.join(os.tmpdir(), "flowline-bench-home-"));
process.env.FLOWLINE_LOGGING_LEVEL ??= "WARNING";
const require = createRequire(import.meta.url);
const { flow, task } = require(path.join(DIST, "flowline.js"));

const inc = task({ name: "inc" }, async (x) => x + 1);
const noop = task({ name: "noop" }, async (i) => i);
const keep = task({ name: "keep", persistResult: true }, async (i) => payload(i));

const three = flow({ name: "three" }, async (x) => {
  x = await inc(x);
  x = await inc(x);
  return inc(x);
});
const noopSeq = flow({ name: "noop-seq" }, async (n) => {
  for (let i = 0; i < n; i++) await noop(i);
});
const noopFan = flow({ name: "noop-fan" }, async (n) => {
  const futures = [];
  for (let i = 0; i < n; i++) futures.push(noop.submit(i));
  for (const f of futures) await f.result();
});
const persistSeq = flow({ name: "persist" }, async (n) => {
  for (let i = 0; i < n; i++) await keep(i);
});

// The baselines: the same shapes without an engine.
const bareInc = async (x) => x + 1;
const bareNoop = async (i) => i;
const writeDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-bench-bare-"));
let writeRound = 0;

serve({
  async setup() {
    const { version } = JSON.parse(fs.readFileSync(path.join(DIST, "..", "package.json"), "utf8"));
    return { version };
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
  async bareThree({ runs }) {
    const out = [];
    for (let r = 0; r < runs; r++) {
      out.push(
        await timed(async () => {
          let x = await bareInc(1);
          x = await bareInc(x);
          return bareInc(x);
        }),
      );
    }
    return out;
  },
  async bareNoop({ n, mode }) {
    return timed(async () => {
      if (mode === "fan") {
        const all = [];
        for (let i = 0; i < n; i++) all.push(bareNoop(i));
        await Promise.all(all);
      } else for (let i = 0; i < n; i++) await bareNoop(i);
    });
  },
  /** n files written with fs.promises.writeFile, one after another: the same JSON the persist tasks store. */
  async bareWrite({ n }) {
    const dir = path.join(writeDir, String(writeRound++));
    fs.mkdirSync(dir);
    return timed(async () => {
      for (let i = 0; i < n; i++) await fs.promises.writeFile(path.join(dir, `${i}.json`), JSON.stringify(payload(i)));
    });
  },
  async teardown() {
    fs.rmSync(writeDir, { recursive: true, force: true });
    fs.rmSync(process.env.FLOWLINE_HOME, { recursive: true, force: true });
  },
});
