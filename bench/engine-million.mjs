// A flow of a million task runs through the real CLI (`flowline run`): N sequential no-op task runs, and one
// `task.map` over N items whose futures the flow keeps and reads. For each: the flow process's peak RSS
// (VmHWM from /proc/<pid>/status, read as it exits, by a preloaded hook), the time from the flow's return
// to the CLI's exit, and µs per task run inside the flow. `node bench/engine-million.mjs [N]` (default
// 1,000,000); prints one JSON line.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, tempDir } from "./lib.mjs";

const N = Number(process.argv[2] ?? 1_000_000);
const dir = tempDir("flowline-million-");

// Loaded into every node process of the run (NODE_OPTIONS): the flow process writes its peak RSS as it exits.
fs.writeFileSync(
  path.join(dir, "peak.cjs"),
  `if (process.argv[1] && process.argv[1].endsWith("child.js")) process.on("exit", () => {\n` +
    `  const hwm = /VmHWM:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status", "utf8"));\n` +
    `  require("fs").writeFileSync(${JSON.stringify(path.join(dir, "peak.txt"))}, hwm ? hwm[1] : "0");\n});\n`,
);
const marks = (name) => `const mark = (what: string) => fs.writeFileSync(${JSON.stringify(path.join(dir, name))} + "." + what, String(performance.timeOrigin + performance.now()));`;
fs.writeFileSync(
  path.join(dir, "sequential.ts"),
  `import * as fs from "node:fs";\nimport { flow, task } from "flowline";\n${marks("sequential")}\n` +
    `const noop = task({ name: "noop" }, async (i: number) => i);\n` +
    `export const sequential = flow({ name: "sequential" }, async () => {\n  mark("start");\n  let sum = 0;\n` +
    `  for (let i = 0; i < ${N}; i++) sum += await noop(i);\n  mark("returned");\n  return sum;\n});\n`,
);
fs.writeFileSync(
  path.join(dir, "mapped.ts"),
  `import * as fs from "node:fs";\nimport { flow, task } from "flowline";\n${marks("mapped")}\n` +
    `const noop = task({ name: "noop" }, async (i: number) => i);\n` +
    `export const mapped = flow({ name: "mapped" }, async () => {\n  mark("start");\n` +
    `  const futures = noop.map(Array.from({ length: ${N} }, (_, i) => i));\n  let sum = 0;\n` +
    `  for (const f of futures) sum += await f.result();\n  mark("returned");\n  return sum;\n});\n`,
);

function runCli(file) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, FLOWLINE_HOME: path.join(dir, "home"), FLOWLINE_LOGGING_LEVEL: "WARNING", NODE_OPTIONS: `--require ${path.join(dir, "peak.cjs")}` };
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "flowline.js"), "run", file], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const exited = performance.timeOrigin + performance.now();
      if (code !== 0) reject(new Error(`flowline run ${file} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(exited);
    });
  });
}

async function measure(name) {
  const exited = await runCli(`${name}.ts`);
  const read = (what) => Number(fs.readFileSync(path.join(dir, `${name}.${what}`), "utf8"));
  const start = read("start");
  const returned = read("returned");
  const peakKb = Number(fs.readFileSync(path.join(dir, "peak.txt"), "utf8"));
  fs.rmSync(path.join(dir, "home"), { recursive: true, force: true });
  return { peakRssMB: peakKb / 1024, exitAfterReturnMs: exited - returned, usPerTaskRun: ((returned - start) * 1000) / N };
}

try {
  const sequential = await measure("sequential");
  const mapped = await measure("mapped");
  console.log(JSON.stringify({ n: N, sequential, mapped }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
