// Engine overhead per task run, in-process: a flow of N no-op task runs against N bare async calls in
// the same process. Prints one JSON line: microseconds per call for each, medians over several rounds.
import { createRequire } from "node:module";
import { DIST, median, nowMs, tempDir } from "./lib.mjs";

process.env.FLOWLINE_HOME = tempDir();
process.env.FLOWLINE_LOGGING_LEVEL = "WARNING";
const require = createRequire(import.meta.url);
const { flow, task } = require(`${DIST}/flowline.js`);

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 7);

const bare = async (i) => i;
const noop = task({ name: "noop" }, async (i) => i);

async function bareLoop() {
  for (let i = 0; i < N; i++) await bare(i);
}
async function bareConcurrent() {
  const all = [];
  for (let i = 0; i < N; i++) all.push(bare(i));
  await Promise.all(all);
}
const sequential = flow({ name: "sequential" }, async () => {
  for (let i = 0; i < N; i++) await noop(i);
});
const submitted = flow({ name: "submitted" }, async () => {
  const futures = [];
  for (let i = 0; i < N; i++) futures.push(noop.submit(i));
  for (const f of futures) await f.result();
});

async function perCall(fn) {
  const start = nowMs();
  await fn();
  return ((nowMs() - start) * 1000) / N;
}

const results = { bareSeq: [], bareConc: [], seq: [], sub: [] };
for (let r = 0; r < ROUNDS; r++) {
  results.bareSeq.push(await perCall(bareLoop));
  results.seq.push(await perCall(sequential));
  results.bareConc.push(await perCall(bareConcurrent));
  results.sub.push(await perCall(submitted));
}
// The first round warms the JIT; it is left out.
const m = (list) => median(list.slice(1));
console.log(JSON.stringify({ n: N, bareSeqUs: m(results.bareSeq), seqUs: m(results.seq), bareConcUs: m(results.bareConc), subUs: m(results.sub) }));
