import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../engine/errors";
import type { EngineEvent } from "../engine/events";
import { resolveHome } from "../engine/home";
import { formatLogLine } from "../engine/logging";
import { startFlowProcess } from "../runner/run";
import { parse, parseParam, parseParams } from "./args";
import { flowRunJson, taskRunJson } from "./format";
import { JsonStream, paged } from "./json-stream";
import { openCliStore } from "./store";
import type { FlowRunDetail, Store } from "../store";

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
  // sql.js loads while the flow runs (the store is needed only at the end, and for cache lookups), once
  // the flow file has loaded: a file that does not compile or load leaves no database behind.
  let storePromise: Promise<Store> | undefined;
  const openStoreOnce = () => {
    if (!storePromise) {
      storePromise = openCliStore(home);
      storePromise.catch(() => undefined);
    }
    return storePromise;
  };
  const proc = startFlowProcess({ file: absolute, flow, parameters, home, cwd: process.cwd() });
  // Only --json and a run that did not report its end need the database at the end: start loading it now.
  if (json) proc.once("loaded", () => void openStoreOnce());

  const labels = new Map<string, string>();
  proc.on("event", (event: EngineEvent) => {
    if (event.e === "flow_run") labels.set(event.id, `Flow run '${event.name}'`);
    else if (event.e === "task_run") labels.set(event.id, `Task run '${event.name}'`);
    else if (event.e === "log") {
      const label = (event.taskRunId && labels.get(event.taskRunId)) || (event.flowRunId && labels.get(event.flowRunId)) || "Flowline";
      process.stderr.write(`${formatLogLine(event, label)}\n`);
    }
  });
  // The flow's own output goes to stderr too: stdout is kept for --json.
  proc.on("output", (text) => process.stderr.write(text));

  // Ctrl-C (and a polite SIGTERM or SIGHUP, as CI runners and closing terminals send) cancels the run:
  // the flow sees its signal fire and ends Cancelled; a second one stops its processes at once.
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nCancelling the flow run… (press Ctrl-C again to stop it at once)\n`);
      proc.cancel(signal === "SIGINT" ? "Cancelled with Ctrl-C." : `Cancelled: the CLI received ${signal}.`);
    } else proc.kill();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  const result = await proc.done;
  for (const signal of signals) process.off(signal, onSignal);

  if (result.exitCode === 2) throw new UserError(result.message ?? "The flow run could not start.");
  if (result.flowRunId === undefined && result.message) {
    // The flow process ended before any run started (a Flowline bug, or the process was killed while loading).
    // A home that cannot be written (read-only, full) is told in one line, without the engine's stack.
    const io = /^(?:Error: )?(E(?:ROFS|ACCES|PERM|NOSPC|DQUOT|NOTDIR): .*|ENOENT: [^,]*, mkdir .*)/.exec(result.message);
    process.stderr.write(
      io
        ? `flowline: the flow could not record its run in ${home}: ${io[0]}. Nothing already stored was changed. Make the Flowline home writable or free some space (or set FLOWLINE_HOME to another folder), then try again.\n`
        : `flowline: ${result.message}\n`,
    );
  }

  let detail: FlowRunDetail | undefined;
  // A run that reported its end is in its journal, which any later command (or the editor) folds in;
  // only --json output and a run whose process died need the database now.
  if (result.flowRunId && (json || !result.reported)) {
    // The run has ended: how it ended decides the exit code even if the store cannot be read now (its
    // journal stays, and the next command folds it in).
    try {
      const store = await openStoreOnce();
      try {
        if (!result.reported) {
          // The flow process died or was killed before it could record how the run ended. markRuns folds
          // the journals first and leaves alone runs that did end.
          const type = result.exitCode === 130 ? "Cancelled" : "Crashed";
          await store.markRuns(result.flowRunId, type, result.message ?? "The flow process ended before the run finished.");
        } else await store.sync({ wait: true });
        detail = await store.getFlowRun(result.flowRunId, { taskLimit: 0 });
      } finally {
        if (!json) store.close();
      }
    } catch (err) {
      process.stderr.write(`flowline: warning: could not record the run in ${home}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  } else if (storePromise) (await storePromise.catch(() => undefined))?.close();

  if (json) {
    // Streamed: a run of a million task runs is never one string. The store is read a page at a time.
    const flowRunId = detail?.flowRun.id;
    const store = flowRunId ? await openStoreOnce().catch(() => undefined) : undefined;
    const taskRuns = (async function* () {
      if (!store || !flowRunId) return;
      for await (const t of paged((offset, limit) => store.listTaskRuns(flowRunId, { offset, limit }))) yield taskRunJson(t);
    })();
    const out = new JsonStream();
    try {
      await out.object([
        ["flowRun", detail ? flowRunJson(detail.flowRun) : { id: result.flowRunId ?? null, state: result.state?.type, stateName: result.state?.name, stateMessage: result.state?.message }],
        ["taskRuns", taskRuns],
        ["subflowRuns", detail ? detail.subflowRuns.map(flowRunJson) : []],
        ["result", result.result ?? null],
      ]);
      await out.end();
    } finally {
      store?.close();
    }
  } else if (result.exitCode !== 0 && result.flowRunId) {
    const name = result.flowRunName ?? detail?.flowRun.name ?? result.flowRunId;
    const state = detail ? detail.flowRun.state : result.state;
    if (state) process.stderr.write(`Flow run '${name}' ended ${state.name}${state.message ? `: ${state.message}` : ""}\n`);
  }
  return result.exitCode;
}
