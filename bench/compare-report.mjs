// Renders bench/compare.mjs's JSON as the markdown section of the benchmark report.

function num(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return "-";
  if (n >= 1000) return Math.round(n).toLocaleString("en-US");
  if (n >= 100) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  if (n >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

function times(r) {
  if (!Number.isFinite(r)) return "-";
  return r >= 10 ? `${Math.round(r).toLocaleString("en-US")}×` : `${r.toFixed(1)}×`;
}

const ROWS = [
  { key: "three", what: "3-step sequential flow: start to result, median (p95) of 100 runs", unit: "ms", scale: 1, bare: "3 awaited async calls", p95: true, source: "workloads" },
  { key: "noopSeq", what: "1,000 no-op tasks in one flow, sequential: per task", unit: "µs", scale: 1, bare: "awaited async call", source: "workloads" },
  { key: "noopFan", what: "1,000 no-op tasks in one flow, fanned out: per task", unit: "µs", scale: 1, bare: "async call in Promise.all", source: "workloads" },
  { key: "persist", what: "1,000 tasks each persisting its result (~300 B JSON): per task", unit: "µs", scale: 1, bare: "`fs.promises.writeFile` of the same JSON", source: "workloads" },
  { key: "cold", flowlineKey: "flowline", what: "Cold start, whole process, one trivial flow (Flowline: `flowline run trivial.ts`)", unit: "ms", scale: 1, bare: "`node -e 0`", p95: true, source: "cold" },
  { key: "coldSdk", flowlineKey: "flowlineSdk", what: "Cold start, whole process (Flowline: SDK from a plain script, `node trivial.cjs`)", unit: "ms", scale: 1, bare: "`node -e 0`", p95: true, source: "cold" },
];

/** The markdown section: one table, Flowline against its bare baseline and against each peer, same run. */
export function renderComparison(result) {
  const peers = result.engines.filter((e) => e.key !== "flowline");
  const flowline = result.engines.find((e) => e.key === "flowline");
  const head = ["What (lower is better)", "Bare baseline", `Flowline ${flowline?.version ?? ""}`.trim(), "Flowline ÷ bare", ...peers.map((p) => `${p.label} (÷ Flowline)`)];
  const lines = [
    "## Side by side with other engines",
    "",
    `Measured by \`npm run bench\` (bench/compare.mjs) on ${result.date.slice(0, 10)}: ${result.machine}.`,
    `All engines ran in the same run, each in its own process, taking turns round by round (a different one first each round); figures are medians${result.quick ? " (quick mode: fewer rounds)" : ""}. Ratios are taken within this run.`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
  ];
  const behind = [];
  let comparisons = 0;
  for (const row of ROWS) {
    const data = row.source === "cold" ? result.cold : result.workloads?.[row.key];
    if (!data) continue;
    const fKey = row.flowlineKey ?? "flowline";
    const f = data[fKey];
    const b = data.bare;
    const cell = (m) => (m ? `${num(m.median)} ${row.unit}${row.p95 && m.p95 !== undefined ? ` (${num(m.p95)})` : ""}` : "-");
    const cells = [row.what, b ? `${cell(b)} ${row.bare}` : "-", `**${cell(f)}**`, f && b ? times(f.median / b.median) : "-"];
    for (const p of peers) {
      const m = data[p.key];
      if (!m || !f) {
        cells.push(p.notApplicable?.[row.key] ?? (p.error ? "failed" : "-"));
        continue;
      }
      const ratio = m.median / f.median;
      comparisons++;
      if (ratio < 1) behind.push(`${p.label} on "${row.what}"`);
      cells.push(`${cell(m)} (${ratio < 1 ? `**${times(ratio)}**` : times(ratio)})`);
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");
  lines.push(
    behind.length === 0
      ? `Flowline is ahead in all ${comparisons} peer comparisons of this run.`
      : `Flowline is behind in ${behind.length} of ${comparisons} peer comparisons: ${behind.join("; ")}.`,
  );
  lines.push("");
  lines.push("Versions and setup:");
  lines.push(`- Flowline ${flowline?.version ?? "?"} (this repository, dist/), in-process journal under a temp FLOWLINE_HOME.`);
  for (const p of peers) {
    const infra = p.key.startsWith("dbos") ? `; PostgreSQL ${result.infra?.postgres ?? "?"}, private cluster on loopback` : "";
    lines.push(`- ${p.label}: ${p.version ?? "?"}${infra}${p.error ? `. **Failed during the run:** ${p.error}` : ""}`);
  }
  for (const s of result.skipped ?? []) lines.push(`- ${s.label}: could not run here: ${s.reason}`);
  for (const s of result.notRun ?? []) lines.push(`- ${s.label}: not run: ${s.reason}`);
  lines.push("");
  lines.push(`The comparison took ${Math.round(result.seconds)} s.`);
  return lines.join("\n");
}
