import { randomUUID } from "node:crypto";
import { engineConfig } from "./config";
import { currentContext, runContext, type RunContext } from "./context";
import { CancelledError, TimeoutError, UserError } from "./errors";
import { toJsonSafe } from "./json-safe";
import { Limiter } from "./limiter";
import { emitLog, enableLogPrints, LogBudget } from "./logging";
import { argumentsFromParameters, bindArguments, paramSpec } from "./params";
import { generateRunName } from "./names";
import { persistFailure, persistValue } from "./results";
import { retryDelaySeconds, sleep } from "./retries";
import type { FlowRunRecord } from "./run-records";
import { describeError, emitState, emitTransition, errorStack, failureState, isInstance, hookList, isPromiseLike, raceStop, renderRunName, runHooks, Stopper, type Hook, type RunOptions } from "./run-common";
import { State } from "./states";
import { adoptTaskExportName, childEnded, isTask } from "./task";
import { StorageKeyError } from "./storage-key";

export interface FlowRunInfoForHooks {
  readonly id: string;
  readonly name: string;
  readonly flowName: string;
  readonly parameters: Record<string, unknown>;
  readonly tags: readonly string[];
  readonly runCount: number;
}

type FlowHook = Hook<AnyFlow, FlowRunInfoForHooks>;

export type TaskRunnerOption = "concurrent" | "sequential" | { type: "concurrent"; maxConcurrency?: number } | { type: "sequential" };

export interface FlowOptions extends RunOptions<FlowHook> {
  onCancellation?: FlowHook | FlowHook[];
  flowRunName?: string | ((parameters: Record<string, unknown>) => string);
  /** How submitted task runs run: "concurrent" (default, optionally with maxConcurrency) or "sequential". */
  taskRunner?: TaskRunnerOption;
}

export interface Flow<A extends unknown[] = unknown[], R = unknown> {
  /** Starts a flow run (a subflow run inside another flow) and resolves to its value. */
  (...args: A): Promise<R>;
  readonly name: string;
  readonly options: Readonly<FlowOptions>;
  /** The plain function, to call without a run. */
  readonly fn: (...args: A) => R | Promise<R>;
  /** A copy of this flow with some options changed. */
  withOptions(options: FlowOptions): Flow<A, R>;
}

type AnyFlow = Flow<any[], any>;

/** How a flow run ended, for the runner and for callers that want the state rather than the value. */
export interface FlowRunOutcome {
  flowRunId: string;
  flowRunName: string;
  state: State;
}

export interface StartOptions {
  /** Cancels the run when it fires (the runner's Ctrl-C and Cancel). */
  signal?: AbortSignal;
  /** The flow file the runner started (recorded with the flow run, so it can be rerun). */
  file?: string;
}

const FLOW = Symbol.for("flowline.flow");
const DEFS = new WeakMap<AnyFlow, FlowDef>();
/** Every flow defined in this process, in order: the runner finds flows that were not exported too. */
export const flowRegistry: AnyFlow[] = [];

export function isFlow(value: unknown): value is AnyFlow {
  return typeof value === "function" && (value as unknown as Record<symbol, unknown>)[FLOW] === true;
}

export function flow<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>): Flow<A, Awaited<R>>;
export function flow<A extends unknown[], R>(options: FlowOptions, fn: (...args: A) => R | Promise<R>): Flow<A, Awaited<R>>;
export function flow<A extends unknown[], R>(
  a: FlowOptions | ((...args: A) => R | Promise<R>),
  b?: (...args: A) => R | Promise<R>,
): Flow<A, Awaited<R>> {
  const [options, fn] = typeof a === "function" ? [{}, a] : [a, b];
  if (typeof fn !== "function") throw new UserError("flow() needs a function: flow(fn) or flow({ name, ... }, fn).");
  return makeFlow(options ?? {}, fn as (...args: unknown[]) => unknown) as unknown as Flow<A, Awaited<R>>;
}

interface FlowDef {
  name: string;
  options: FlowOptions;
  fn: (...args: unknown[]) => unknown;
  retries: number;
  persist: boolean;
  self: AnyFlow;
}

function makeFlow(options: FlowOptions, fn: (...args: unknown[]) => unknown): AnyFlow {
  const name = options.name ?? (fn.name || "flow");
  if (options.logPrints) enableLogPrints();
  const def: FlowDef = {
    name,
    options,
    fn,
    retries: Math.max(0, Math.floor(options.retries ?? 0)),
    persist: options.persistResult ?? options.resultStorageKey !== undefined,
    self: undefined as unknown as AnyFlow,
  };
  const call = function (...args: unknown[]): Promise<unknown> {
    return startFlowRun(def, args, {}).then((outcome) => outcome.state.result());
  } as AnyFlow;
  def.self = call;
  Object.defineProperties(call, {
    name: { value: name, configurable: true },
    [FLOW]: { value: true },
    options: { value: Object.freeze({ ...options }) },
    fn: { value: fn },
  });
  Object.assign(call, {
    withOptions(more: FlowOptions) {
      return makeFlow({ ...options, ...more }, fn);
    },
  });
  DEFS.set(call, def);
  flowRegistry.push(call);
  return call;
}

/**
 * Names a flow made from an anonymous function (`export const etl = flow(async () => ...)`) after its
 * export, as a Python function's name would be. The runner calls it before the run starts.
 */
export function adoptFlowExportName(value: AnyFlow, exportName: string): void {
  const def = DEFS.get(value);
  if (!def || def.options.name !== undefined || def.fn.name) return;
  def.name = exportName;
  Object.defineProperty(value, "name", { value: exportName, configurable: true });
}

/** Names the anonymous flows and tasks a module exports after their exports. */
export function adoptExportNames(exports: Record<string, unknown>): void {
  for (const [exportName, value] of Object.entries(exports)) {
    if (isFlow(value)) adoptFlowExportName(value, exportName);
    else if (isTask(value)) adoptTaskExportName(value, exportName);
  }
}

/** Runs a flow from named parameters (the CLI's --param) and resolves to how it ended; never rejects for a failed run. */
export function runFlowWithParameters(target: AnyFlow, parameters: Record<string, unknown>, options: StartOptions = {}): Promise<FlowRunOutcome> {
  const def = DEFS.get(target);
  if (!def) throw new UserError("runFlowWithParameters() needs a flow made with flow().");
  const args = argumentsFromParameters(paramSpec(def.fn), parameters, def.options.parameters, `Flow '${def.name}'`);
  return startFlowRun(def, args, options);
}

/** The parameter names a flow takes, and the defaults that can be known, for prompts and validation. */
export function flowParameterInfo(target: AnyFlow): ReturnType<typeof paramSpec> & { optionDefaults: Record<string, unknown> } {
  const def = DEFS.get(target);
  if (!def) throw new UserError("flowParameterInfo() needs a flow made with flow().");
  return { ...paramSpec(def.fn), optionDefaults: def.options.parameters ?? {} };
}

function limiterFor(option: TaskRunnerOption | undefined): Limiter | undefined {
  if (option === undefined || option === "concurrent") return undefined;
  if (option === "sequential" || option.type === "sequential") return new Limiter(1);
  if (option.type === "concurrent") {
    const max = option.maxConcurrency;
    if (max === undefined) return undefined;
    if (!Number.isInteger(max) || max < 1) throw new UserError(`taskRunner maxConcurrency must be a whole number of at least 1, not ${max}.`);
    return new Limiter(max);
  }
  throw new UserError(`taskRunner must be "concurrent", "sequential" or { type: "concurrent", maxConcurrency }, not ${JSON.stringify(option)}.`);
}

function startFlowRun(def: FlowDef, args: unknown[], start: StartOptions): Promise<FlowRunOutcome> {
  const parent = currentContext();
  const promise = runFlow(def, args, parent, start);
  if (parent) {
    // A subflow is a child of the calling flow run: it waits for it and counts its failure.
    const owner = parent.flowRun;
    owner.active++;
    owner.childCount++;
    promise.then(
      (o) => childEnded(owner, o.state),
      (err: unknown) => childEnded(owner, failureState(err, "Flow run")),
    );
  }
  return promise;
}

async function runFlow(def: FlowDef, rawArgs: unknown[], parent: RunContext | undefined, start: StartOptions): Promise<FlowRunOutcome> {
  const { options } = def;
  const config = engineConfig();
  const sink = config.sink;
  const created = new Date();
  const id = randomUUID();

  const { parameters, callArgs } = bindArguments(paramSpec(def.fn), rawArgs, options.parameters);
  const name = options.flowRunName !== undefined ? renderRunName(options.flowRunName, parameters, "flowRunName") : generateRunName();
  const limiter = limiterFor(options.taskRunner);

  const record: FlowRunRecord = {
    id,
    name,
    flowName: def.name,
    parameters,
    tags: options.tags ?? [],
    expectedStartTime: created,
    parentFlowRunId: parent?.flowRun.id,
    parentTaskRunId: parent?.taskRun?.id,
    runCount: 0,
    stopper: new Stopper(),
    logPrints: options.logPrints ?? parent?.flowRun.logPrints ?? false,
    active: 0,
    idle: undefined,
    failedChildren: 0,
    cancelledChildren: 0,
    childCount: 0,
    taskCounters: new Map(),
    limiter,
    logBudget: parent?.flowRun.logBudget ?? new LogBudget(),
  };
  const ctx: RunContext = { flowRun: record };

  sink.emit({
    e: "flow_run",
    id,
    name,
    flowName: def.name,
    parameters: toJsonSafe(parameters),
    tags: record.tags,
    parentFlowRunId: record.parentFlowRunId,
    parentTaskRunId: record.parentTaskRunId,
    created: created.toISOString(),
    expectedStartTime: created.toISOString(),
    file: parent ? undefined : start.file,
    pid: process.pid,
  });
  // The flow_run event itself stands for the first state, Pending.

  // Cancellation reaches the run from its parent flow run, or from the caller's signal (the runner).
  const cancel = new Stopper(parent?.flowRun.stopper);
  const onSignal = () => cancel.stop(asCancellation(start.signal?.reason));
  if (start.signal?.aborted) onSignal();
  else start.signal?.addEventListener("abort", onSignal, { once: true });
  let state: State;
  let resultKey: string | undefined;
  for (;;) {
    record.runCount++;
    record.failedChildren = 0;
    record.cancelledChildren = 0;
    record.childCount = 0;
    emitTransition("flow", id, "Running", record.runCount > 1 ? "Retrying" : "Running", record.runCount);
    if (record.runCount === 1) emitLog(ctx, "INFO", `Beginning flow run '${name}' for flow '${def.name}'`);

    const attempt = new Stopper(cancel, options.timeoutSeconds, `Flow run '${name}'`);
    record.stopper = attempt;
    let thrown: unknown;
    let value: unknown;
    let threw = false;
    try {
      // On disk before user code runs: a flow that blocks the event loop at once is still recorded.
      sink.flushSync();
      value = runContext.run(ctx, () => def.fn(...callArgs));
      if (isPromiseLike(value)) value = await raceStop(value, attempt);
    } catch (err) {
      thrown = err;
      threw = true;
      // Runs it started and did not wait for end now, rather than outliving the flow run.
      attempt.stop(new CancelledError(`Flow run '${name}' ended before this run finished.`));
    }
    while (record.active > 0) await new Promise<void>((wake) => (record.idle = wake));
    attempt.dispose();

    if (threw) state = failureState(thrown, "Flow run");
    else if (value instanceof State) state = value;
    else if (value === undefined && record.failedChildren > 0) {
      state = new State("Failed", "Failed", `${record.failedChildren} of ${record.childCount} task or subflow runs failed.`);
    } else if (value === undefined && record.cancelledChildren > 0) {
      state = new State("Cancelled", "Cancelled", `${record.cancelledChildren} of ${record.childCount} task or subflow runs were cancelled.`);
    } else state = new State("Completed", "Completed", undefined, value);

    if (state.type === "Completed" && def.persist) {
      try {
        resultKey = runContext.run(ctx, () => persistValue(config.home, value, options.resultStorageKey, parameters, options.resultSerializer ?? "json", { owner: "flow" }));
      } catch (err) {
        state = failureState(err, "Flow run");
        thrown = err;
      }
    }
    if (state.type !== "Failed" || record.runCount > def.retries || isInstance(thrown, StorageKeyError)) break;
    if (thrown !== undefined) emitLog(ctx, "ERROR", `Encountered exception during execution: ${errorDetail(thrown)}`);
    const delay = retryDelaySeconds(options.retryDelaySeconds, record.runCount, options.retryJitterFactor);
    emitState("flow", id, new State("Pending", "AwaitingRetry", `Retry ${record.runCount} of ${def.retries} in ${delay}s`), record.runCount);
    try {
      await sleep(delay, cancel.signal);
    } catch (cancel) {
      state = failureState(cancel, "Flow run");
      break;
    }
  }

  if (state.type === "Failed" && state.error !== undefined) {
    emitLog(ctx, "ERROR", `Encountered exception during execution: ${errorDetail(state.error)}`);
    if (def.persist && !isInstance(state.error, StorageKeyError)) resultKey = persistFailure(config.home, state.error, options.resultSerializer ?? "json");
  }
  emitState("flow", id, state, record.runCount, resultKey, state.type === "Completed" && state.data !== undefined ? toJsonSafe(state.data) : undefined);
  emitLog(ctx, state.type === "Completed" ? "INFO" : state.type === "Cancelled" ? "WARNING" : "ERROR", `Finished in state ${state}`);

  const hookInfo: FlowRunInfoForHooks = { id, name, flowName: def.name, parameters, tags: record.tags, runCount: record.runCount };
  const hooks = state.type === "Completed" ? options.onCompletion : state.type === "Cancelled" ? options.onCancellation : options.onFailure;
  const list = hookList(hooks);
  if (list.length) await runHooks(list, hookKind(state), def.self, hookInfo, state, ctx);
  cancel.dispose();
  start.signal?.removeEventListener("abort", onSignal);
  if (!parent) sink.flushSync();
  return { flowRunId: id, flowRunName: name, state };
}

function hookKind(state: State): string {
  return state.type === "Completed" ? "onCompletion" : state.type === "Cancelled" ? "onCancellation" : "onFailure";
}

function errorDetail(err: unknown): string {
  return isInstance(err, TimeoutError) || isInstance(err, CancelledError) ? describeError(err) : errorStack(err);
}

function asCancellation(reason: unknown): unknown {
  if (reason instanceof CancelledError || reason instanceof TimeoutError) return reason;
  const detail = reason instanceof Error && reason.name !== "AbortError" ? `: ${reason.message}` : "";
  return new CancelledError(`The flow run was cancelled${detail}.`);
}
