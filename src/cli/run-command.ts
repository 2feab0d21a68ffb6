import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../engine/errors";
import { RunSession, storeOnDemand } from "../runner/session";
import { formatLogLine, logsNotShownText } from "../shared/log-line";
import { parse, parseParam, parseParams } from "./args";
import { flowRunJson, taskRunJson } from "./format";
import { cliHome } from "./home-command";
import { JsonStream, paged } from "./json-stream";
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
  const home = cliHome(absolute).home;
  // sql.js loads while the flow runs (the store is needed only at the end, and for cache lookups), once
  // the flow file has loaded: a file that does not compile or load leaves no database behind. Only --json
  // and a run that did not report its end need the database at the end.
  // The store stays open after the session for --json, which reads the task runs a page at a time.
  const opened = storeOnDemand(() => openCliStore(home));
  const session = new RunSession({
    file: absolute,
    flow,
    parameters,
    home,
    cwd: process.cwd(),
    store: { get: opened.get },
    preloadStore: json,
    readBack: json,
  });
  // Traces come folded from the engine: the user's frames, one line for Flowline's and Node's, and once.
  session.on("log", (event, label) => process.stderr.write(`${formatLogLine(event, label)}\n`));
  // The flow's own output goes to stderr too: stdout is kept for --json.
  session.on("output", (text) => process.stderr.write(text));

  // Ctrl-C (and a polite SIGTERM or SIGHUP, as CI runners and closing terminals send) cancels the run:
  // the flow sees its signal fire and ends Cancelled; a second one stops its processes at once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!session.cancelRequested) {
      process.stderr.write(`\nCancelling the flow run… (press Ctrl-C again to stop it at once)\n`);
      session.cancel(signal === "SIGINT" ? "Cancelled with Ctrl-C." : `Cancelled: the CLI received ${signal}.`);
    } else session.kill();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const signal of signals) process.on(signal, onSignal);
  const { result, detail, recordError, logsNotShown } = await session.ended;
  if (!json) opened.release?.();
  for (const signal of signals) process.off(signal, onSignal);

  if (result.exitCode === 2) throw new UserError(result.message ?? "The flow run could not start.");
  // The flow process ended before any run started (a Flowline bug, or the process was killed while loading),
  // or the run could not be recorded (it ended Crashed, saying why).
  const unrecorded = result.state?.type === "Crashed" ? /^Flowline could not record this flow run: (.*)$/s.exec(result.state.message ?? "")?.[1] : undefined;
  const failure = unrecorded ?? (result.flowRunId === undefined ? result.message : undefined);
  if (failure) {
    // A home that cannot be written (read-only, full) is told in one line, without the engine's stack.
    const io = /^(?:Error: )?(E(?:ROFS|ACCES|PERM|NOSPC|DQUOT|NOTDIR): .*|ENOENT: [^,]*, mkdir .*)/.exec(failure);
    if (io) {
      process.stderr.write(
        `flowline: the flow could not record its run in ${home}: ${io[0]}. Nothing already stored was changed. Make the Flowline home writable or free some space (or set FLOWLINE_HOME to another folder), then try again.\n`,
      );
    } else if (unrecorded === undefined) process.stderr.write(`flowline: ${failure}\n`);
  }
  // How the run ended decides the exit code even if the store cannot be read now (its journal stays, and
  // the next command folds it in).
  if (recordError !== undefined) process.stderr.write(`flowline: warning: could not record the run in ${home}: ${recordError}\n`);
  // Lines the flow logged faster than this terminal took them were counted, not queued without end.
  if (logsNotShown > 0) {
    const where = result.flowRunId ? ` (flowline runs inspect ${result.flowRunId} --logs all)` : "";
    process.stderr.write(`flowline: ${logsNotShownText(logsNotShown)}${where}.\n`);
  }

  if (json) {
    // Streamed: a run of a million task runs is never one string; they are read a page at a time.
    const flowRunId = detail?.flowRun.id;
    const taskRuns = (async function* () {
      if (!flowRunId) return;
      const store = await opened.get();
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
      opened.release?.();
    }
  } else if (result.exitCode !== 0 && result.flowRunId) {
    const name = result.flowRunName ?? detail?.flowRun.name ?? result.flowRunId;
    const state = detail ? detail.flowRun.state : result.state;
    if (state) process.stderr.write(`Flow run '${name}' ended ${state.name}${state.message ? `: ${state.message}` : ""}\n`);
  }
  return result.exitCode;
}
