import * as path from "node:path";
import { configureEngine, JournalSink, type EngineSink } from "../engine/config";
import { CancelledError, UserError } from "../engine/errors";
import { adoptExportNames, runFlowWithParameters } from "../engine/flow";
import { toJsonSafe } from "../engine/json-safe";
import { addSignatureTypes, loadedFlows, type LoadedFlow } from "./flow-summaries";
import { checkParameterTypes } from "./parameters-check";
import { CrashCause } from "./crash-cause";
import { flowSignatures } from "./signature-types";
import { aliasFlowline, flowlineEngineFile, loadFlowFile } from "./load-flow-file";
import { describeError, errorStack, isInstance } from "../engine/run-common";
import { databaseUrl } from "../team/team-config";
import { LiveReport } from "./live";
import type { ChildMessage, DescribeMessage, DoneMessage, LiveMessage, ParentMessage, StartMessage } from "./protocol";

// The child process that runs a user's flow. It is started by the runner with an IPC channel, gets a
// `start` message, runs the flow, reports events as they happen and how the run ended, then exits.

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** The live view's messages: process.send's answer says whether the channel is backed up. */
function sendLive(message: LiveMessage, sent: () => void): boolean {
  if (!process.send || !process.connected) return true;
  return process.send(message, undefined, {}, () => sent());
}

export function childMain(enginePath: string): void {
  aliasFlowline(enginePath);
  blockingOutput();
  // Started ahead of its run (WarmFlowProcess): start esbuild's service while waiting, so a changed flow
  // file compiles without that wait. The flow does not see the marker.
  if (process.env.FLOWLINE_WARM_CHILD) {
    delete process.env.FLOWLINE_WARM_CHILD;
    void import("esbuild").then((esbuild) => esbuild.transform("", { loader: "ts" })).catch(() => undefined);
  }
  const controller = new AbortController();
  let started = false;
  process.on("message", (raw: unknown) => {
    const message = raw as ParentMessage;
    if (message.type === "cancel") controller.abort(new CancelledError(message.reason ?? "The flow run was cancelled."));
    else if ((message.type === "start" || message.type === "describe") && !started) {
      started = true;
      (message.type === "start" ? run(message, controller.signal) : describe(message)).catch(async (err: unknown) => {
        await send({ type: "fatal", kind: "internal", message: err instanceof Error ? err.stack ?? err.message : String(err) });
        await exitWhenFlushed(70);
      });
    }
  });
  // The process that started the run went away: cancel rather than run on unseen, and do not outlive it
  // for long if the flow ignores the cancel (the exit marks what is still open).
  process.on("disconnect", () => {
    controller.abort(new CancelledError("The process that started this flow run exited."));
    setTimeout(() => process.exit(130), 10_000).unref();
  });
}

async function run(start: StartMessage, signal: AbortSignal): Promise<void> {
  let sink: LiveReport | undefined;
  let finished = false;
  // Flowline's own frames (the built engine, and its sources when run from a checkout) are not the user's.
  const dist = path.dirname(flowlineEngineFile());
  const crash = new CrashCause(start.file, [dist, path.resolve(dist, "..", "src")]);
  crash.watch();
  // Registered before the engine is configured: the engine's own exit listener closes its sink, and
  // listeners run in order.
  process.on("exit", (code) => {
    if (finished || !sink) return;
    // The flow called process.exit (or the event loop emptied, or a cancelled flow would not stop) before
    // its run ended.
    const ts = new Date().toISOString();
    const type = signal.aborted ? "Cancelled" : "Crashed";
    const message = signal.aborted
      ? "The flow run was cancelled; its process was stopped before the run ended."
      : crash.message(code);
    for (const [runs, kind] of [[sink.openTaskRuns, "task"], [sink.openFlowRuns, "flow"]] as const) {
      for (const id of [...runs.keys()]) sink.emit({ e: "state", kind, id, type, name: type, ts, message });
    }
    sink.close();
  });
  try {
    const teamUrl = databaseUrl();
    if (teamUrl) sink = teamSink(start.home, teamUrl, start.file);
    else {
      sink = new LiveReport(new JournalSink(start.home), sendLive);
      configureEngine({ home: start.home, sink, consoleLogs: false });
    }
  } catch (err) {
    return fatal("usage", (err as Error).message); // FLOWLINE_DURABILITY names no known mode
  }
  const live = sink;

  const selected = await loadAndSelect(start);
  if (selected === undefined) return;

  // Checked against the flow's TypeScript signature before a run exists: a refused value records nothing.
  const typed = checkParameterTypes(selected.summary.parameters, start.parameters);
  if ("problem" in typed) return fatal("usage", `flow '${selected.summary.name}': ${typed.problem}`);

  let outcome;
  try {
    outcome = await runFlowWithParameters(selected.flow, typed.parameters, { signal, file: start.file });
  } catch (err) {
    // Parameters that do not fit the flow (an unknown name, ...) are refused before any run starts; so is
    // a flow whose options cannot start a run. Either is the caller's or the flow file's to fix.
    if (!live.startedFlowRun) return fatal("usage", err instanceof Error ? err.message : String(err));
    throw err;
  }
  finished = true;
  const { state } = outcome;
  const error = errorReport(state.error);
  // Reported finished = on disk (its journal and result files), whatever FLOWLINE_DURABILITY says; in
  // team mode, committed to PostgreSQL.
  live.syncToDisk();
  // A database that refused them was reported as it happened (teamSink); the run's end is still told.
  await live.committed?.().catch(() => undefined);
  live.finish();
  await send({
    type: "done",
    flowRunId: outcome.flowRunId,
    flowRunName: outcome.flowRunName,
    state: { type: state.type, name: state.name, message: state.message },
    result: state.type === "Completed" ? toJsonSafe(state.data) : undefined,
    error,
  });
  live.close();
  await exitWhenFlushed(0);
}

/** Team mode (FLOWLINE_DATABASE_URL): events, cache entries and results go to PostgreSQL (src/team). */
function teamSink(home: string, url: string, file: string): LiveReport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { configureTeamEngine } = require("../team/engine-setup") as typeof import("../team/engine-setup");
  let live: LiveReport | undefined;
  const onError = (err: Error) => process.stderr.write(`flowline: the team database refused a write: ${err.message}\n`);
  // The live view goes to the parent as live messages; PostgreSQL is the record.
  configureTeamEngine(home, url, undefined, onError, (pg) => (live = new LiveReport(pg, sendLive)), file);
  return live!;
}

/** Events of flows a file starts as it loads, while it is only described: describing records nothing. */
const DISCARD: EngineSink = { emit() {}, flushSync() {}, syncToDisk() {}, close() {} };

/** Loads the file, reports its flows and their parameters (`loaded`), and exits without running one. */
async function describe(message: DescribeMessage): Promise<void> {
  configureEngine({ sink: DISCARD, consoleLogs: false, durability: "run" });
  if ((await loadAndSelect(message)) !== undefined) await exitWhenFlushed(0);
}

/**
 * Loads the flow file and selects the flow a start or describe message names, then tells the parent
 * (`loaded`); on failure tells it why (`fatal`) and exits, resolving to undefined.
 */
async function loadAndSelect(message: StartMessage | DescribeMessage): Promise<LoadedFlow | undefined> {
  let exports: Record<string, unknown>;
  try {
    exports = await loadFlowFile(message.file, true);
  } catch (err) {
    await fatal("load", loadErrorText(err, message.file));
    return undefined;
  }
  adoptExportNames(exports);
  const found = loadedFlows(exports);
  addSignatureTypes(found, flowSignatures(message.file));
  let selected: LoadedFlow;
  try {
    selected = selectFlow(found, message.flow, message.file);
  } catch (err) {
    await fatal("usage", (err as Error).message);
    return undefined;
  }
  await send({ type: "loaded", flows: found.map((f) => f.summary), selected: selected.summary });
  return selected;
}

/** The error of a failed run for the parent, read with care: it is user data (a Proxy, throwing getters). */
function errorReport(err: unknown): DoneMessage["error"] {
  if (!isInstance(err, Error)) return undefined;
  try {
    return { name: String(err.name), message: String(err.message), stack: errorStack(err) };
  } catch {
    return { name: "Error", message: describeError(err) };
  }
}

async function fatal(kind: "usage" | "load", message: string): Promise<void> {
  await send({ type: "fatal", kind, message });
  await exitWhenFlushed(2);
}

/**
 * Exits once what the flow printed has reached the pipes: writes to a pipe are asynchronous in Node, and
 * process.exit drops what is still queued (1 MB printed arrived as 96 KB, without its last line).
 */
async function exitWhenFlushed(code: number): Promise<never> {
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Makes writes to the output pipes synchronous, as they are to a terminal, so that a flow's own
 * process.exit loses nothing it printed. `setBlocking` is libuv's; where a stream has none, nothing changes. */
function blockingOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const handle = (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => unknown } })._handle;
    if (!stream.isTTY) handle?.setBlocking?.(true);
  }
}

function loadErrorText(err: unknown, file: string): string {
  if (err instanceof UserError) return err.message;
  const shown = path.relative(process.cwd(), file) || file;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") {
    const m = /Cannot find (?:module|package) '([^']+)'/.exec((err as Error).message);
    const from = (err as { requireStack?: string[] }).requireStack?.[0];
    if (m && (from === undefined || from === path.resolve(file))) {
      return `${shown} imports '${m[1]}', which is not installed; install it where the flow file can find it (npm install ${m[1]}).`;
    }
    return `${shown}: the flow file could not be loaded: ${(err as Error).message.split("\n")[0]}${from ? ` (imported from ${from})` : ""}.`;
  }
  // The module threw while loading: one line, saying where in the user's own file (source maps are on).
  const stack = err instanceof Error ? err.stack ?? `${err.name}: ${err.message}` : String(err);
  const frames = stack.split("\n");
  const head = err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : frames[0];
  const resolved = path.resolve(file);
  const frame = frames.find((l) => l.includes(resolved));
  const at = frame ? /:(\d+):(\d+)\)?\s*$/.exec(frame) : null;
  return `${shown}${at ? `:${at[1]}:${at[2]}` : ""}: the flow file threw while loading: ${head}`;
}

function selectFlow(found: LoadedFlow[], wanted: string | undefined, file: string): LoadedFlow {
  const list = found.map((f) => (f.summary.exportName && f.summary.exportName !== f.summary.name ? `${f.summary.exportName} (${f.summary.name})` : f.summary.name)).join(", ");
  if (found.length === 0) {
    throw new UserError(`${path.basename(file)} defines no flow. Define one with flow(...) from "flowline" and export it.`);
  }
  if (wanted === undefined) {
    const exported = found.filter((f) => f.summary.exportName !== undefined);
    const pool = exported.length > 0 ? exported : found;
    if (pool.length === 1) return pool[0];
    throw new UserError(`${path.basename(file)} has ${pool.length} flows (${list}); say which: ${path.basename(file)}:<flow>.`);
  }
  const byExport = found.find((f) => f.summary.exportName === wanted);
  if (byExport) return byExport;
  const byName = found.filter((f) => f.summary.name === wanted);
  if (byName.length === 0) throw new UserError(`${path.basename(file)} has no flow '${wanted}'; it has: ${list}.`);
  // Two flows of one name: running "the first one" would run a flow the user may not have meant.
  if (byName.length > 1) {
    const exports = byName.map((f) => f.summary.exportName).filter((n) => n !== undefined);
    throw new UserError(`${path.basename(file)} has ${byName.length} flows named '${wanted}'${exports.length ? ` (exported as ${exports.join(", ")})` : ""}; say which by its export name: ${path.basename(file)}:<export>.`);
  }
  return byName[0];
}
