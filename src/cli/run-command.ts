import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../engine/errors";
import type { EngineEvent } from "../engine/events";
import { resolveHome } from "../engine/home";
import { formatLogLine } from "../engine/logging";
import { startFlowProcess } from "../runner/run";
import { parse, parseParam, parseParams } from "./args";
import { flowRunJson, printJson, taskRunJson } from "./format";
import { openCliStore } from "./store";

export const RUN_USAGE = "flowline run <file>[:<flow>] [--param key=value]... [--params '<json>'] [--json]";

/** `file.ts:flow` → the file and the flow, unless the whole text names an existing file. */
export function splitTarget(target: string): { file: string; flow?: string } {
  const colon = target.lastIndexOf(":");
  if (colon > 1 && !fs.existsSync(target)) {
    const flow = target.slice(colon + 1);
    if (flow !== "" && !/[\\/]/.test(flow)) return { file: target.slice(0, colon), flow };
  }
  return { file: target };
}

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { param: { type: "string", multiple: true }, params: { type: "string" }, json: { type: "boolean" } },
    RUN_USAGE,
  );
  if (positionals.length !== 1) throw new UserError(`run takes one flow file. Usage: ${RUN_USAGE}`);
  const { file, flow } = splitTarget(positionals[0]);
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) throw new UserError(`No such flow file: ${file}. Check the path.`);
  const parameters: Record<string, unknown> = values.params !== undefined ? parseParams(values.params as string) : {};
  for (const p of (values.param as string[] | undefined) ?? []) {
    const [key, value] = parseParam(p);
    parameters[key] = value;
  }
  const json = values.json === true;
  const home = resolveHome(process.cwd());
  // sql.js loads while the flow runs: the store is needed only at the end.
  const storePromise = openCliStore(home);
  storePromise.catch(() => undefined);

  const proc = startFlowProcess({ file: absolute, flow, parameters, home, cwd: process.cwd() });
  const labels = new Map<string, string>();
  proc.on("event", (event: EngineEvent) => {
    if (event.e === "flow_run") labels.set(event.id, `Flow run '${event.name}'`);
    else if (event.e === "task_run") labels.set(event.id, `Task run '${event.name}'`);
    else if (event.e === "log") {
      const label = (event.taskRunId && labels.get(event.taskRunId)) || (event.flowRunId && labels.get(event.flowRunId)) || "Flowline";
      process.stderr.write(`${formatLogLine(event, label)}\n`);
    }
  });
  proc.on("output", (text) => process.stderr.write(text));

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write("\nCancelling the flow run… (press Ctrl-C again to stop it at once)\n");
      proc.cancel("Cancelled with Ctrl-C.");
    } else proc.kill();
  };
  process.on("SIGINT", onSigint);
  const result = await proc.done;
  process.off("SIGINT", onSigint);

  if (result.exitCode === 2) throw new UserError(result.message ?? "The flow run could not start.");

  const store = await storePromise;
  await store.sync();
  let detail = result.flowRunId ? store.getFlowRun(result.flowRunId) : undefined;
  if (detail && result.flowRunId && (detail.flowRun.state.type === "Running" || detail.flowRun.state.type === "Pending")) {
    // The flow process died or was killed before it could record how the run ended.
    const type = result.exitCode === 130 ? "Cancelled" : "Crashed";
    await store.markRuns(result.flowRunId, type, result.message ?? `The flow process ended before the run finished.`);
    detail = store.getFlowRun(result.flowRunId);
  }
  if (json) {
    printJson({
      flowRun: detail ? flowRunJson(detail.flowRun) : { id: result.flowRunId, state: result.state?.type, stateName: result.state?.name, stateMessage: result.state?.message },
      taskRuns: detail ? detail.taskRuns.map(taskRunJson) : [],
      subflowRuns: detail ? detail.subflowRuns.map(flowRunJson) : [],
      result: result.result ?? null,
    });
  } else if (result.exitCode !== 0 && result.state) {
    const name = result.flowRunName ?? detail?.flowRun.name ?? "";
    process.stderr.write(`Flow run '${name}' ended ${result.state.name}${result.state.message ? `: ${result.state.message}` : ""}\n`);
  }
  store.close();
  return result.exitCode;
}
