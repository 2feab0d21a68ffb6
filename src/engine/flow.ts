import { AttemptedRun, runAttempts, type RunHooks } from "./attempts";
import { isoTime } from "./clock";
import { newId } from "./ids";
import { engineConfig } from "./config";
import { currentContext, runContext, type RunContext } from "./context";
import { CancelledError, TimeoutError, UserError } from "./errors";
import { toJsonSafe } from "./json-safe";
import { LogBudget } from "./log-budget";
import { emitLog, enableLogPrints } from "./logging";
import { argumentsFromParameters, bindArguments, paramSpec } from "./params";
import { generateRunName } from "./names";
import { persistValue } from "./results";
import { distributedNeedsTeam } from "./remote-task";
import { noChildrenYet, type FlowRunRecord } from "./run-records";
import { adoptExportName, definitionArgs, failureState, hookList, renderRunName, type Hook, type RunOptions } from "./run-common";
import { State } from "./states";
import { Stopper } from "./stopper";
import { submissionsFor, type TaskRunnerOption } from "./submissions";
import { adoptTaskExportName, childEnded, isTask } from "./task";
import { hasFutures, stateOfReturnedFutures } from "./task-arguments";
import { parameterDefaults, standardSchemaOf, validateParameters, type StandardSchemaV1 } from "./standard-schema";

export interface FlowRunInfoForHooks {
  readonly id: string;
  readonly name: string;
  readonly flowName: string;
  readonly parameters: Record<string, unknown>;
  readonly tags: readonly string[];
  readonly runCount: number;
}

type FlowHook = Hook<AnyFlow, FlowRunInfoForHooks>;

export type { TaskRunnerOption } from "./submissions";

export interface FlowOptions extends Omit<RunOptions<FlowHook>, "parameters"> {
  /**
   * Default parameter values, used where a call leaves them out; or a Standard Schema (zod, valibot, ...)
   * that validates and coerces a run's parameters before the run exists.
   */
  parameters?: Record<string, unknown> | StandardSchemaV1;
  /** Called with the run and its state when a flow run is cancelled. */
  onCancellation?: FlowHook | FlowHook[];
  /** The run's name: a template of its parameters or a function of them. `{ flowRunName: "etl-{date}" }` (default: adjective-animal). */
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

// `any[]` is the one parameter list every function's type extends (`unknown[]` is not, parameters being contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFlow = Flow<any[], any>;
type UserFn = (...args: unknown[]) => unknown;

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

/**
 * Makes a flow: calling it starts a flow run (a subflow run inside another flow), with retries, timeouts,
 * results and the runtime context. ▶ Run flow in the editor and `flowline run file.ts` run exported flows.
 *
 * @example
 * export const hello = flow({ name: "hello", retries: 1 }, async ({ name = "world" }: { name?: string } = {}) => {
 *   return await greet(name);
 * });
 */
export function flow<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>): Flow<A, Awaited<R>>;
/**
 * Makes a flow: calling it starts a flow run (a subflow run inside another flow), with retries, timeouts,
 * results and the runtime context. ▶ Run flow in the editor and `flowline run file.ts` run exported flows.
 *
 * @example
 * export const hello = flow({ name: "hello", retries: 1 }, async ({ name = "world" }: { name?: string } = {}) => {
 *   return await greet(name);
 * });
 */
export function flow<A extends unknown[], R>(options: FlowOptions, fn: (...args: A) => R | Promise<R>): Flow<A, Awaited<R>>;
export function flow<A extends unknown[], R>(
  a: FlowOptions | ((...args: A) => R | Promise<R>),
  b?: (...args: A) => R | Promise<R>,
): Flow<A, Awaited<R>> {
  const [options, fn] = definitionArgs<FlowOptions>("flow", a as FlowOptions, b as UserFn | undefined);
  return makeFlow(options, fn) as unknown as Flow<A, Awaited<R>>;
}

interface FlowDef {
  name: string;
  options: FlowOptions;
  fn: (...args: unknown[]) => unknown;
  retries: number;
  persist: boolean;
  hooks: RunHooks;
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
    hooks: { onCompletion: hookList(options.onCompletion), onFailure: hookList(options.onFailure), onCancellation: hookList(options.onCancellation) },
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

/** Names the anonymous flows and tasks a module exports after their exports. */
export function adoptExportNames(exports: Record<string, unknown>): void {
  for (const [exportName, value] of Object.entries(exports)) {
    if (isFlow(value)) adoptExportName(DEFS.get(value), value, exportName);
    else if (isTask(value)) adoptTaskExportName(value, exportName);
  }
}

/** Runs a flow from named parameters (the CLI's --param) and resolves to how it ended; never rejects for a failed run. */
export function runFlowWithParameters(target: AnyFlow, parameters: Record<string, unknown>, options: StartOptions = {}): Promise<FlowRunOutcome> {
  const def = DEFS.get(target);
  if (!def) throw new UserError("runFlowWithParameters() needs a flow made with flow().");
  const args = argumentsFromParameters(paramSpec(def.fn), parameters, parameterDefaults(def.options.parameters), `Flow '${def.name}'`);
  return startFlowRun(def, args, options);
}

function isDistributed(option: TaskRunnerOption | undefined): boolean {
  return option === "distributed" || (typeof option === "object" && option.type === "distributed");
}

function throwError(err: Error): never {
  throw err;
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
  const id = newId();

  let { parameters, callArgs } = bindArguments(paramSpec(def.fn), rawArgs, parameterDefaults(options.parameters));
  const schema = standardSchemaOf(options.parameters);
  if (schema !== undefined) {
    // Validated and coerced before the run exists: a refusal records nothing.
    const spec = paramSpec(def.fn);
    ({ parameters, callArgs } = bindArguments(spec, argumentsFromParameters(spec, await validateParameters(schema, parameters, def.name), undefined, `Flow '${def.name}'`)));
  }
  const name = options.flowRunName !== undefined ? renderRunName(options.flowRunName, parameters, "flowRunName") : generateRunName();
  const submissions = submissionsFor(options.taskRunner);
  const remote = isDistributed(options.taskRunner) ? config.remoteTasks ?? throwError(distributedNeedsTeam(def.name)) : undefined;

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
    ...noChildrenYet(),
    submissions,
    logBudget: parent?.flowRun.logBudget ?? new LogBudget(),
    remote,
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
    created: isoTime(created.getTime()),
    expectedStartTime: isoTime(created.getTime()),
    file: parent ? undefined : start.file,
    pid: process.pid,
  });
  // The flow_run event itself stands for the first state, Pending.

  // Cancellation reaches the run from its parent flow run, or from the caller's signal (the runner).
  const cancel = new Stopper(parent?.flowRun.stopper);
  const onSignal = () => cancel.stop(asCancellation(start.signal?.reason));
  if (start.signal?.aborted) onSignal();
  else start.signal?.addEventListener("abort", onSignal, { once: true });
  const state = await new Promise<State>((resolve) => runAttempts(new FlowAttempts(def, record, ctx, callArgs, cancel, resolve)));
  cancel.dispose();
  start.signal?.removeEventListener("abort", onSignal);
  if (!parent) sink.flushSync();
  return { flowRunId: id, flowRunName: name, state };
}

/** A flow run's part in runAttempts: it waits for the runs it started, and counts their failures. */
class FlowAttempts extends AttemptedRun {
  readonly kind = "flow";
  readonly ownStopper = true;

  constructor(
    readonly def: FlowDef,
    readonly record: FlowRunRecord,
    readonly ctx: RunContext,
    private readonly callArgs: unknown[],
    readonly cancel: Stopper,
    private readonly whenEnded: (state: State) => void,
  ) {
    super();
  }

  protected ended(state: State): void {
    this.whenEnded(state);
  }

  attemptStarted(): void {
    const record = this.record;
    record.failedChildren = 0;
    record.cancelledChildren = 0;
    record.childCount = 0;
    if (record.runCount === 1) emitLog(this.ctx, "INFO", `Beginning flow run '${record.name}' for flow '${this.def.name}'`);
    // On disk before user code runs: a flow that blocks the event loop at once is still recorded.
    engineConfig().sink.flushSync();
  }

  call(): unknown {
    return runContext.run(this.ctx, () => this.def.fn(...this.callArgs));
  }

  async settle(value: unknown, threw: boolean, thrown: unknown, attempt: Stopper): Promise<State> {
    const record = this.record;
    // Runs it started and did not wait for end now, rather than outliving the flow run.
    if (threw) attempt.stop(new CancelledError(`Flow run '${record.name}' ended before this run finished.`));
    while (record.active > 0) await new Promise<void>((wake) => (record.idle = wake));
    if (threw) return failureState(thrown, "Flow run");
    if (value instanceof State) return value;
    if (hasFutures([value])) return stateOfReturnedFutures(value);
    if (value === undefined && record.failedChildren > 0) {
      return new State("Failed", "Failed", `${record.failedChildren} of ${record.childCount} task or subflow runs failed.`);
    }
    if (value === undefined && record.cancelledChildren > 0) {
      return new State("Cancelled", "Cancelled", `${record.cancelledChildren} of ${record.childCount} task or subflow runs were cancelled.`);
    }
    return new State("Completed", "Completed", undefined, value);
  }

  save(value: unknown, state: State): { resultKey: string; state: State } {
    const { options } = this.def;
    // A flow that returned futures stores their values (its state holds them).
    const saved = hasFutures([value]) ? state.data : value;
    const resultKey = runContext.run(this.ctx, () => persistValue(engineConfig().home, saved, options.resultStorageKey, this.record.parameters, options.resultSerializer ?? "json", { owner: "flow" }));
    return { resultKey, state };
  }

  hookInfo(): FlowRunInfoForHooks {
    const r = this.record;
    return { id: r.id, name: r.name, flowName: r.flowName, parameters: r.parameters, tags: r.tags, runCount: r.runCount };
  }
}

function asCancellation(reason: unknown): unknown {
  if (reason instanceof CancelledError || reason instanceof TimeoutError) return reason;
  const detail = reason instanceof Error && reason.name !== "AbortError" ? `: ${reason.message}` : "";
  return new CancelledError(`The flow run was cancelled${detail}.`);
}
