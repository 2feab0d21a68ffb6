// Team mode against a private PostgreSQL cluster (test/team/cluster.ts, run with --import tsx):
// - a distributed task run's overhead against an in-process one (same flow, same database), and the
//   in-process one against the local store;
// - throughput of task runs that each wait 20 ms, with 1, 2 and 4 workers;
// - `flowline run` of a small flow, whole command, with PostgreSQL against the local store.
// Prints one JSON line. Arguments: task runs per flow (default 200), repeats (default 3).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, median, tempDir, timeCommand } from "./lib.mjs";
import { freshDatabase, stopCluster } from "../test/team/cluster.ts";

const N = Number(process.argv[2] ?? 200);
const REPEATS = Number(process.argv[3] ?? 3);
const cli = path.join(ROOT, "bin", "flowline.js");
const dir = tempDir("flowline-bench-team-");
fs.writeFileSync(
  path.join(dir, "bench.ts"),
  `import { createMarkdownArtifact, flow, task } from "flowline";
const step = task({ name: "step" }, async (i: number) => {
  const ms = Number(process.env.TASK_MS ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  return i * 2;
});
export const bench = flow({ name: "bench", taskRunner: (process.env.RUNNER ?? "concurrent") as "concurrent" }, async ({ n = 10 }: { n?: number }) => {
  const out = await Promise.all(step.map(Array.from({ length: n }, (_, i) => i)).map((f) => f.result()));
  await createMarkdownArtifact("# done", { key: "bench-done" });
  return out.length;
});
`,
);

const url = await freshDatabase();
const team = { ...process.env, FLOWLINE_DATABASE_URL: url, FLOWLINE_HOME: path.join(dir, "team-home") };
const local = { ...process.env, FLOWLINE_HOME: path.join(dir, "local-home") };
delete local.FLOWLINE_DATABASE_URL;

/** A flow run's own duration (from the run's JSON): the process start is not the task runner's cost. */
function flowSeconds(env, n) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "run", "bench.ts", "--param", `n=${n}`, "--json"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`flowline run exited ${code}: ${err}`));
      const { flowRun } = JSON.parse(out);
      resolve(Date.parse(flowRun.endTime) - Date.parse(flowRun.startTime));
    });
  });
}

function startWorkers(count, env) {
  return Promise.all(
    Array.from({ length: count }, () => new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [cli, "worker", "bench.ts", "--concurrency", "1"], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
      let text = "";
      proc.stderr.on("data", (d) => {
        text += d;
        if (text.includes("serving queue")) resolve(proc);
      });
      proc.on("close", (code) => reject(new Error(`worker exited ${code}: ${text}`)));
    })),
  );
}

async function withWorkers(count, env, fn) {
  const procs = await startWorkers(count, env);
  try {
    return await fn();
  } finally {
    for (const p of procs) {
      p.removeAllListeners("close");
      p.kill("SIGKILL");
    }
  }
}

const repeat = async (fn) => {
  const values = [];
  for (let i = 0; i < REPEATS; i++) values.push(await fn());
  return median(values);
};

// Overhead: the same N no-op task runs, in the flow's process and on one worker with 4 slots.
await flowSeconds({ ...team, RUNNER: "concurrent" }, 5); // creates the schema and warms the disk cache
const inProcessMs = await repeat(() => flowSeconds({ ...team, RUNNER: "concurrent" }, N));
await flowSeconds({ ...local, RUNNER: "concurrent" }, 5);
const localInProcessMs = await repeat(() => flowSeconds({ ...local, RUNNER: "concurrent" }, N));
// The marginal cost of a task run in the flow's process (a run's fixed cost, its connection among them,
// cancels out): the same flow at 5 N against N task runs.
const marginalUs = async (env) => ((await repeat(() => flowSeconds(env, 5 * N))) - (await repeat(() => flowSeconds(env, N)))) * 1000 / (4 * N);
const teamMarginalUs = await marginalUs({ ...team, RUNNER: "concurrent" });
const localMarginalUs = await marginalUs({ ...local, RUNNER: "concurrent" });
const distributedMs = await withWorkers(1, { ...team, RUNNER: "distributed" }, async () => {
  await flowSeconds({ ...team, RUNNER: "distributed" }, 5);
  return repeat(() => flowSeconds({ ...team, RUNNER: "distributed" }, N));
});

// Throughput: task runs that each wait 20 ms, on 1, 2 and 4 single-slot workers.
const TASK_MS = 20;
const throughput = {};
for (const workers of [1, 2, 4]) {
  const env = { ...team, RUNNER: "distributed", TASK_MS: String(TASK_MS) };
  const ms = await withWorkers(workers, env, () => repeat(() => flowSeconds(env, N)));
  throughput[workers] = (N / ms) * 1000;
}

// End to end: `flowline run` of a 20-task flow with an artifact, whole command, team against local.
const e2e = { team: [], local: [] };
await timeCommand(process.execPath, [cli, "run", "bench.ts", "--param", "n=20"], { cwd: dir, env: local });
for (let i = 0; i < Math.max(5, REPEATS); i++) {
  e2e.local.push(await timeCommand(process.execPath, [cli, "run", "bench.ts", "--param", "n=20"], { cwd: dir, env: local }));
  e2e.team.push(await timeCommand(process.execPath, [cli, "run", "bench.ts", "--param", "n=20"], { cwd: dir, env: team }));
}

stopCluster();
console.log(
  JSON.stringify({
    n: N,
    inProcessUs: (inProcessMs * 1000) / N,
    distributedUs: (distributedMs * 1000) / N,
    localInProcessUs: (localInProcessMs * 1000) / N,
    teamMarginalUs,
    localMarginalUs,
    taskMs: TASK_MS,
    throughput,
    idealPerWorker: 1000 / TASK_MS,
    teamRunMs: median(e2e.team),
    localRunMs: median(e2e.local),
  }),
);
