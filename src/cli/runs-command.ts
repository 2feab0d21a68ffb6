import { UserError } from "../engine/errors";
import { resolveHome } from "../shared/home";
import { parse } from "./args";
import { escapeBlock, flowRunJson, formatDuration, formatTime, printJson, quote, table, taskRunJson } from "./format";
import { openCliStore } from "./store";

const USAGE = "flowline runs ls [--limit N] [--flow NAME] [--json] | flowline runs inspect <flow-run-id> [--json]";

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
  const store = await openCliStore(resolveHome());
  await store.sync();
  const runs = store.listFlowRuns({ limit, flowName: values.flow as string | undefined });
  store.close();
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

async function runsInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" } }, USAGE);
  if (positionals.length !== 1) throw new UserError(`runs inspect takes one flow run id (or a unique start of one). Usage: ${USAGE}`);
  const store = await openCliStore(resolveHome());
  await store.sync();
  let detail;
  try {
    detail = store.getFlowRun(positionals[0]);
  } catch (err) {
    store.close();
    throw new UserError((err as Error).message);
  }
  const { flowRun, taskRuns, subflowRuns } = detail;
  const states = store.getStateHistory(flowRun.id);
  const logs = store.getLogs({ flowRunId: flowRun.id });
  store.close();
  if (values.json) {
    printJson({
      flowRun: flowRunJson(flowRun),
      taskRuns: taskRuns.map(taskRunJson),
      subflowRuns: subflowRuns.map(flowRunJson),
      states: states.map((s) => ({ type: s.type, name: s.name, message: s.message, timestamp: s.timestamp })),
      logs: logs.map((l) => ({ level: l.level, message: l.message, timestamp: l.timestamp, taskRunId: l.taskRunId })),
    });
    return 0;
  }
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
  out.push("", `Task runs (${taskRuns.length})`);
  if (taskRuns.length) {
    out.push(table(["NAME", "STATE", "DURATION", "RESULT"], taskRuns.map((t) => [t.name, t.state.name, formatDuration(t.startTime, t.endTime), t.resultKey ?? ""])));
  }
  if (subflowRuns.length) {
    out.push("", `Subflow runs (${subflowRuns.length})`);
    out.push(table(["ID", "NAME", "FLOW", "STATE"], subflowRuns.map((r) => [r.id.slice(0, 8), r.name, r.flowName, r.state.name])));
  }
  if (logs.length) {
    out.push("", "Logs");
    for (const l of logs) out.push(`${q(l.timestamp.slice(11, 23))} | ${q(l.level).padEnd(7)} | ${escapeBlock(l.message)}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
