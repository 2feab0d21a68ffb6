// `npm run bench`: every benchmark, each against a baseline measured in the same run, as one report.
// `npm run bench -- --write` also writes the report to BENCHMARKS.md.
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, fmt, machine, runNodeJson } from "./lib.mjs";

const here = path.join(ROOT, "bench");
const write = process.argv.includes("--write");
const rows = [];
const row = (what, flowline, baseline, ratio, target, ok) => rows.push({ what, flowline, baseline, ratio, target, ok });

process.stderr.write("engine overhead…\n");
const eo = await runNodeJson(path.join(here, "engine-overhead.mjs"), ["10000", "7"]);
const seqOver = eo.seqUs - eo.bareSeqUs;
const subOver = eo.subUs - eo.bareConcUs;
row("Sequential task run (await task(i)), per run", `${fmt(eo.seqUs)} µs`, `${fmt(eo.bareSeqUs)} µs bare async call`, `${fmt(eo.seqUs / eo.bareSeqUs, 0)}×; overhead ${fmt(seqOver)} µs`, "≤ 20 µs overhead", seqOver <= 20);
row("Submitted task run (task.submit(i)), per run", `${fmt(eo.subUs)} µs`, `${fmt(eo.bareConcUs)} µs bare concurrent call`, `${fmt(eo.subUs / eo.bareConcUs, 0)}×; overhead ${fmt(subOver)} µs`, "≤ 20 µs overhead", subOver <= 20);
row("Same against Prefect 2's published ~100 ms a task run", `${fmt(seqOver)} µs`, "100,000 µs", `${fmt(100_000 / seqOver, 0)}× less`, "", true);

process.stderr.write("memory…\n");
const mem = await runNodeJson(path.join(here, "engine-memory.mjs"), ["10000"], { nodeArgs: ["--expose-gc"] });
row("10,000 submitted task runs in one flow: peak RSS growth", `${fmt(mem.rssGrowthMB, 1)} MB`, `${fmt(mem.rssBeforeMB, 1)} MB at start`, "", "< 100 MB", mem.rssGrowthMB < 100);

process.stderr.write("CLI cold start…\n");
const cs = await runNodeJson(path.join(here, "cli-start.mjs"), ["10"]);
row("`flowline run` of a trivial flow, whole process", `${fmt(cs.flowlineMs, 0)} ms`, `${fmt(cs.nodeMs, 0)} ms \`node -e 0\``, `+${fmt(cs.overheadMs, 0)} ms`, "≤ 400 ms on top of node", cs.overheadMs <= 400);

const lines = [
  "# Benchmarks",
  "",
  `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine()}.`,
  "Each figure is a median, taken against its baseline in the same run.",
  "",
  "| What | Flowline | Baseline | Ratio | Target | Met |",
  "| --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.what} | ${r.flowline} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.target ? (r.ok ? "yes" : "**no**") : ""} |`),
  "",
];
const report = lines.join("\n");
process.stdout.write(`${report}\n`);
if (write) fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), `${report}\n${fs.existsSync(path.join(here, "NOTES.md")) ? fs.readFileSync(path.join(here, "NOTES.md"), "utf8") : ""}`);
