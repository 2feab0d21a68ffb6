import { UserError } from "../engine/errors";
import { parse } from "./args";
import type { StateType } from "../shared/events";
import { artifactJson, escapeBlock, flowRunJson, formatDuration, formatTime, printJson, quote, table, taskRunJson, taskRunSummary } from "./format";
import { JsonStream, paged } from "./json-stream";
import { openCliStore } from "./store";
import { cliHome } from "./home-command";
import type { Artifact, Store } from "../store";

const USAGE =
  "flowline runs ls [--limit N] [--flow NAME] [--json] | flowline runs inspect <flow-run-id> [--limit N] [--offset N] [--state S] [--logs N|all] [--json]";
export async function runsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "ls") return runsLs(rest);
  if (sub === "inspect") return runsInspect(rest);
  throw new UserError(`Unknown runs command ${sub === undefined ? "(none)" : `'${sub}'`}. Usage: ${USAGE}`);
}

async function runsLs(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" }, limit: { type: "string" }, flow: { type: "string" } }, USAGE);
  if (positionals.length > 0) throw new UserError(`runs ls takes no arguments besides options. Usage: ${USAGE}`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit must be a whole number of at least 1, not ${JSON.stringify(values.limit)}.`);
  const store = await openCliStore(cliHome().home);
  let runs;
  try {
    await store.sync();
    runs = await store.listFlowRuns({ limit, flowName: values.flow as string | undefined });
  } finally {
    store.close();
  }
  if (values.json) printJson(runs.map(flowRunJson));
  else if (runs.length === 0) process.stdout.write("No flow runs yet. Start one with: flowline run <file>\n");
  else {
    process.stdout.write(
      `${table(
        ["ID", "NAME", "FLOW", "STATE", "STARTED", "DURATION"],
        runs.map((r) => [r.id.slice(0, 8), r.name, r.flowName, r.state.name, formatTime(r.startTime ?? r.created), formatDuration(r.startTime, r.endTime)]),
      )}\n`,
    );
  }
  return 0;
}

const STATES: readonly StateType[] = ["Pending", "Running", "Completed", "Failed", "Crashed", "Cancelled"];

function count(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min) throw new UserError(`${option} must be a whole number of at least ${min}, not ${JSON.stringify(text)}.`);
  return n;
}

/**
 * A flow run: its state, its task runs summarized by state and a page of them (--limit/--offset/--state),
 * its subflow runs, its artifacts and its latest log lines. With --json everything is streamed, so a run
 * of a million task runs prints without being held in memory.
 */
async function runsInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { json: { type: "boolean" }, limit: { type: "string" }, offset: { type: "string" }, state: { type: "string" }, logs: { type: "string" } },
    USAGE,
  );
  if (positionals.length !== 1) throw new UserError(`runs inspect takes one flow run id (or a unique start of one). Usage: ${USAGE}`);
  const limit = count(values.limit as string | undefined, "--limit", 1);
  const offset = count(values.offset as string | undefined, "--offset", 0) ?? 0;
  const state = values.state as string | undefined;
  if (state !== undefined && !STATES.includes(state as StateType)) throw new UserError(`--state must be one of ${STATES.join(", ")}, not '${state}'.`);
  const logsText = (values.logs as string | undefined) ?? (values.json ? "all" : "100");
  const logLimit = logsText === "all" ? undefined : count(logsText, "--logs", 0);
  const store = await openCliStore(cliHome().home);
  try {
    await store.sync();
    let detail;
    try {
      detail = await store.getFlowRun(positionals[0], { taskLimit: 0 });
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    const { flowRun, subflowRuns } = detail;
    const page = (from: number, n: number) => store.listTaskRuns(flowRun.id, { offset: from, limit: n, state: state as StateType | undefined });
    const states = await store.getStateHistory(flowRun.id);
    const logs = await store.getLogs({ flowRunId: flowRun.id, limit: logLimit });
    const artifacts = await store.listArtifacts({ flowRunId: flowRun.id, includeData: false });
    const { versions, versionCounts } = await artifactVersions(store, artifacts);
    if (values.json) {
      // Every task run unless a page was asked for; read a page at a time.
      const wanted = limit ?? Infinity;
      const taskRuns = (async function* () {
        for await (const t of paged((from, n) => page(offset + from, n), 1000, wanted)) yield taskRunJson(t);
      })();
      const out = new JsonStream();
      await out.object([
        ["flowRun", flowRunJson(flowRun)],
        ["taskRuns", taskRuns],
        ["subflowRuns", subflowRuns.map(flowRunJson)],
        ["artifacts", artifacts.map((a) => ({ ...artifactJson(a), version: versions.get(a.id) ?? null }))],
        ["states", states.map((s) => ({ type: s.type, name: s.name, message: s.message, timestamp: s.timestamp }))],
        ["logs", logs.map((l) => ({ level: l.level, message: l.message, timestamp: l.timestamp, taskRunId: l.taskRunId }))],
      ]);
      await out.end();
      return 0;
    }
    const taskRuns = await page(offset, limit ?? 20);
    // Every value is data: quote() shows its control characters as escapes (see format.ts).
    const q = quote;
    const out: string[] = [
      `Flow run   ${q(flowRun.name)} (${q(flowRun.id)})`,
      `Flow       ${q(flowRun.flowName)}`,
      `State      ${q(flowRun.state.name)}${flowRun.state.message ? ` — ${q(flowRun.state.message)}` : ""}`,
      `Started    ${q(formatTime(flowRun.startTime))}   Duration ${q(formatDuration(flowRun.startTime, flowRun.endTime))}   Run count ${flowRun.runCount}`,
      `Parameters ${q(JSON.stringify(flowRun.parameters) ?? "")}`,
    ];
    if (flowRun.parentFlowRunId) out.push(`Parent     ${q(flowRun.parentFlowRunId)}`);
    if (flowRun.resultKey) out.push(`Result     ${q(flowRun.resultKey)}`);
    const counts = flowRun.taskRunCounts;
    out.push("", `Task runs  ${taskRunSummary(counts)}`);
    if (taskRuns.length) {
      out.push(table(["NAME", "STATE", "DURATION", "RESULT"], taskRuns.map((t) => [t.name, t.state.name, formatDuration(t.startTime, t.endTime), t.resultKey ?? ""])));
      const of = state === undefined ? counts.total : (counts.byState[state as StateType] ?? 0);
      const shown = offset + taskRuns.length;
      if (shown < of || offset > 0) {
        out.push(`(${(offset + 1).toLocaleString("en")}–${shown.toLocaleString("en")} of ${of.toLocaleString("en")}${state ? ` ${state}` : ""}; more with --offset ${shown} --limit ${limit ?? 20})`);
      }
    }
    if (subflowRuns.length) {
      out.push("", `Subflow runs (${subflowRuns.length})`);
      out.push(table(["ID", "NAME", "FLOW", "STATE"], subflowRuns.map((r) => [r.id.slice(0, 8), r.name, r.flowName, r.state.name])));
    }
    if (artifacts.length) {
      out.push("", `Artifacts (${artifacts.length})`);
      const version = (a: Artifact) => (versions.has(a.id) ? `${versions.get(a.id)} of ${versionCounts.get(a.key as string)}` : "-");
      out.push(table(["ID", "KEY", "TYPE", "VERSION", "TASK RUN", "CREATED"], artifacts.map((a) => [a.id.slice(0, 8), a.key ?? "-", a.type, version(a), a.taskRunId?.slice(0, 8) ?? "-", formatTime(a.created)])));
    }
    if (logs.length) {
      const cut = logLimit !== undefined && logs.length === logLimit;
      out.push("", cut ? `Logs (the last ${logs.length}; all of them: --logs all)` : "Logs");
      for (const l of logs) out.push(`${q(l.timestamp.slice(11, 23))} | ${q(l.level).padEnd(7)} | ${escapeBlock(l.message)}`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  } finally {
    store.close();
  }
}

/** Each keyed artifact's version number (1 = its key's first) and each key's number of versions. */
async function artifactVersions(store: Pick<Store, "listArtifacts">, artifacts: Artifact[]): Promise<{ versions: Map<string, number>; versionCounts: Map<string, number> }> {
  const versions = new Map<string, number>();
  const versionCounts = new Map<string, number>();
  for (const key of new Set(artifacts.map((a) => a.key).filter((k): k is string => k !== undefined && k !== null))) {
    // Newest first: the last listed is version 1.
    const all = await store.listArtifacts({ key, includeData: false });
    versionCounts.set(key, all.length);
    all.forEach((a, i) => versions.set(a.id, all.length - i));
  }
  return { versions, versionCounts };
}
