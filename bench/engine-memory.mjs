// Memory growth of one flow with N task runs (default 10,000): RSS and heap before, at the peak, after.
import { createRequire } from "node:module";
import { DIST, tempDir } from "./lib.mjs";

process.env.FLOWLINE_HOME = tempDir();
process.env.FLOWLINE_LOGGING_LEVEL = "WARNING";
const require = createRequire(import.meta.url);
const { flow, task } = require(`${DIST}/flowline.js`);
const N = Number(process.argv[2] ?? 10_000);

const work = task({ name: "work" }, async ({ i }) => ({ i, label: `item-${i}` }));
const big = flow({ name: "ten-thousand" }, async () => {
  const futures = [];
  for (let i = 0; i < N; i++) futures.push(work.submit({ i }));
  let sum = 0;
  for (const f of futures) sum += (await f.result()).i;
  return sum;
});

global.gc?.();
const before = process.memoryUsage();
let peakRss = before.rss;
const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
await big();
peakRss = Math.max(peakRss, process.memoryUsage().rss);
clearInterval(timer);
global.gc?.();
const after = process.memoryUsage();
console.log(JSON.stringify({ n: N, rssBeforeMB: before.rss / 2 ** 20, rssPeakMB: peakRss / 2 ** 20, rssGrowthMB: (peakRss - before.rss) / 2 ** 20, heapAfterGcGrowthMB: (after.heapUsed - before.heapUsed) / 2 ** 20 }));
