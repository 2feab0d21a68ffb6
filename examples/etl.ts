// A realistic pipeline: extract from several sources at once (mapped tasks, retries for a flaky
// source), transform with caching (a second run reuses results), a progress artifact that moves as
// the load goes, then a table of results and a markdown report.
//
//   npx flowline run examples/etl.ts
//   npx flowline run examples/etl.ts --param regions='["eu","us"]'
//
// Watch "etl-progress" climb to 100 in the Artifacts view; open "etl-summary" (a table) and
// "etl-report" (markdown). Run it twice: the transform task runs end Cached the second time.
import {
  flow,
  task,
  runtime,
  getRunLogger,
  taskInputHash,
  createProgressArtifact,
  updateProgressArtifact,
  createTableArtifact,
  createMarkdownArtifact,
} from "flowline";

interface Order {
  region: string;
  id: number;
  amount: number;
}

const attempts = new Map<string, number>();

export const extract = task(
  { name: "extract", retries: 2, retryDelaySeconds: [0.2, 0.5], taskRunName: "extract-{region}" },
  async ({ region }: { region: string }): Promise<Order[]> => {
    // The "apac" source fails on its first attempt, as real APIs do; the retry gets it.
    const n = (attempts.get(region) ?? 0) + 1;
    attempts.set(region, n);
    if (region === "apac" && n === 1) throw new Error(`${region}: 503 Service Unavailable`);
    await new Promise((r) => setTimeout(r, 100));
    return Array.from({ length: 5 }, (_, i) => ({ region, id: i + 1, amount: Math.round(((i + 3) * region.length * 137) % 900) + 100 }));
  },
);

export const transform = task(
  { name: "transform", cacheKeyFn: taskInputHash, cacheExpirationSeconds: 3600 },
  async ({ orders }: { orders: Order[] }) => {
    await new Promise((r) => setTimeout(r, 150)); // pretend this is expensive: the cache skips it
    const total = orders.reduce((sum, o) => sum + o.amount, 0);
    return { region: orders[0]?.region ?? "?", orders: orders.length, total, average: Math.round(total / Math.max(1, orders.length)) };
  },
);

export const load = task({ name: "load", taskRunName: "load-{summary.region}" }, async ({ summary }: { summary: { region: string; total: number } }) => {
  getRunLogger().info(`Loaded ${summary.region}: ${summary.total}`);
  return summary.region;
});

export const etl = flow(
  { name: "etl", flowRunName: "etl-{regions.length}-regions" },
  async ({ regions = ["eu", "us", "apac", "latam"] }: { regions?: string[] } = {}) => {
    const progress = await createProgressArtifact(0, { key: "etl-progress", description: "Regions loaded so far" });
    const extracted = await Promise.all(extract.map({ region: regions }).map((f) => f.result()));
    const summaries = [];
    for (const [i, orders] of extracted.entries()) {
      const summary = await transform({ orders });
      await load({ summary });
      summaries.push(summary);
      await updateProgressArtifact(progress, ((i + 1) / extracted.length) * 100);
    }
    await createTableArtifact(summaries, { key: "etl-summary", description: `Orders by region, run **${runtime.flowRun.name}**` });
    const best = [...summaries].sort((a, b) => b.total - a.total)[0];
    await createMarkdownArtifact(
      [
        `# ETL report: ${runtime.flowRun.name}`,
        "",
        `Loaded **${summaries.length}** regions, ${summaries.reduce((n, s) => n + s.orders, 0)} orders.`,
        "",
        `Top region: **${best.region}** with ${best.total}.`,
        "",
        "| Region | Orders | Total |",
        "| --- | ---: | ---: |",
        ...summaries.map((s) => `| ${s.region} | ${s.orders} | ${s.total} |`),
      ].join("\n"),
      { key: "etl-report", description: "Summary of the last run" },
    );
    return summaries;
  },
);
