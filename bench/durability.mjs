// What each durability mode costs (FLOWLINE_DURABILITY, RELIABILITY.md). The same flow, N tasks that each
// persist a result and create an artifact, runs with `flowline run` in the default mode ("run": flushed
// once, when the run ends) and in "fsync" (every create, state change and result flushed before it
// returns), alternated so both see the same machine. Inside the flow the create call and the task run are
// timed; outside, the whole command. Baseline for the flush itself: fdatasync after a 200-byte append, in
// the same folder. The folder is on the system's temp disk: on a RAM disk (tmpfs) flushes cost nothing.
// Usage: node bench/durability.mjs [N=200] [ROUNDS=5]. Prints one JSON line (medians).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, median, nowMs, tempDir } from "./lib.mjs";

const N = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 5);
const dir = tempDir();
const cli = path.join(ROOT, "bin", "flowline.js");
fs.writeFileSync(
  path.join(dir, "durable.ts"),
  `import { flow, task, createMarkdownArtifact } from "flowline";
const step = task({ name: "step", persistResult: true, resultStorageKey: "bench/{parameters.i}.json" }, async ({ i }: { i: number }) => ({ i, text: "r".repeat(200) }));
export const durable = flow({ name: "durable" }, async () => {
  let creates = 0, tasks = 0;
  for (let i = 0; i < ${N}; i++) {
    let t = performance.now();
    await step({ i });
    tasks += performance.now() - t;
    t = performance.now();
    await createMarkdownArtifact("a".repeat(200), { key: "bench" });
    creates += performance.now() - t;
  }
  return { taskUs: (tasks * 1000) / ${N}, createUs: (creates * 1000) / ${N} };
});
`,
);

function run(mode) {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(process.execPath, [cli, "run", "durable.ts", "--json"], { cwd: dir, env: { ...process.env, FLOWLINE_DURABILITY: mode, FLOWLINE_HOME: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      const ms = nowMs() - start;
      if (code !== 0) return reject(new Error(`flowline run (${mode}) exited ${code}: ${err}`));
      fs.rmSync(path.join(dir, ".flowline"), { recursive: true, force: true });
      resolve({ ms, ...JSON.parse(out).result });
    });
  });
}

function rawFlushUs() {
  const file = path.join(dir, "raw.bin");
  const fd = fs.openSync(file, "a");
  const line = Buffer.alloc(200, 120);
  const start = nowMs();
  for (let i = 0; i < N; i++) {
    fs.writeSync(fd, line);
    fs.fdatasyncSync(fd);
  }
  const us = ((nowMs() - start) * 1000) / N;
  fs.closeSync(fd);
  fs.rmSync(file);
  return us;
}

const runs = { run: [], fsync: [] };
const raw = [];
await run("run"); // warm the build cache and the disk cache
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 ? ["fsync", "run"] : ["run", "fsync"]) runs[mode].push(await run(mode));
  raw.push(rawFlushUs());
}
fs.rmSync(dir, { recursive: true, force: true });
const m = (mode, k) => median(runs[mode].map((x) => x[k]));
console.log(JSON.stringify({
  n: N,
  rounds: ROUNDS,
  runCreateUs: m("run", "createUs"),
  fsyncCreateUs: m("fsync", "createUs"),
  runTaskUs: m("run", "taskUs"),
  fsyncTaskUs: m("fsync", "taskUs"),
  runWallMs: m("run", "ms"),
  fsyncWallMs: m("fsync", "ms"),
  rawFlushUs: median(raw),
}));
