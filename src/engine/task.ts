import { randomUUID } from "node:crypto";
import { AttemptedRun, endRun, runAttempts, type RunHooks } from "./attempts";
import { findCachedResult, rememberCacheEntry, type TaskCacheContext } from "./cache";
import { engineConfig } from "./config";
import { currentContext, runContext, type RunContext } from "./context";
import { MissingContextError, UpstreamError, UserError } from "./errors";
import { expandMapArguments, hasFutures, resolveFutures } from "./task-arguments";
import { Future, type Unmapped } from "./future";
import { isPlainJson, toJsonSafe } from "./json-safe";
import { emitLog, enableLogPrints } from "./logging";
import { bindArguments, paramSpec } from "./params";
import { loadCachedValue, loadValue, persistValue } from "./results";
import type { CachedRead } from "./result-document";
import type { FlowRunRecord, TaskRunRecord } from "./run-records";
import { adoptExportName, definitionArgs, describeError, failureState, hookList, isInstance, renderRunName, type Hook, type RunOptions } from "./run-common";
import { State } from "./states";
import type { Stopper } from "./stopper";

export interface TaskRunInfoForHooks {
  readonly id: string;
  readonly name: string;
  readonly taskName: string;
  readonly parameters: Record<string, unknown>;
  readonly tags: readonly string[];
  readonly runCount: number;
}

export interface TaskOptions extends RunOptions<Hook<AnyTask, TaskRunInfoForHooks>> {
  /** The cache key of a run (e.g. taskInputHash): a later run with the same key reuses its result. */
  cacheKeyFn?: (context: TaskCacheContext, parameters: Record<string, unknown>) => string | null | undefined;
  cacheExpirationSeconds?: number;
  /** Run even on a cache hit, and store the new result under the key. */
  refreshCache?: boolean;
  taskRunName?: string | ((parameters: Record<string, unknown>) => string);
}

/** An argument that may also be given as a future of a task run that produces it. */
export type Futurable<T> = T | Future<T>;
type FuturableArgs<A extends unknown[]> = { [K in keyof A]: A[K] extends object ? Futurable<A[K]> | { [P in keyof A[K]]: Futurable<A[K][P]> } : Futurable<A[K]> };
type MapArg<T> = readonly Futurable<T>[] | Unmapped<T> | T | (T extends object ? { [P in keyof T]: readonly T[P][] | Unmapped<T[P]> | T[P] } : never);
type MapArgs<A extends unknown[]> = { [K in keyof A]: MapArg<A[K]> };

export interface Task<A extends unknown[] = unknown[], R = unknown> {
  /** Runs the task inside the current flow run and resolves to its value. */
  (...args: FuturableArgs<A>): Promise<R>;
  readonly name: string;
  readonly options: Readonly<TaskOptions>;
  /** The plain function, to call without a run. */
  readonly fn: (...args: A) => R | Promise<R>;
  /** Starts a task run and returns its future at once (runs under the flow's task runner). */
  submit(...args: FuturableArgs<A>): Future<R>;
  /** One task run per element: arrays are mapped (all the same length), `unmapped(x)` and other values are shared. */
  map(...args: MapArgs<A>): Future<R>[];
  /** A copy of this task with some options changed. */
  withOptions(options: TaskOptions): Task<A, R>;
}

type AnyTask = Task<any[], any>;

const TASK = Symbol.for("flowline.task");
const DEFAULT_TASK_NAME = "task";
const TASK_DEFS = new WeakMap<AnyTask, TaskDef>();
/** Every task defined, in order, so that a worker finds the one a distributed flow's process called. */
const DEFINED: TaskDef[] = [];

/** Names a task made from an anonymous function after its export (see adoptExportName). */
export function adoptTaskExportName(value: AnyTask, exportName: string): void {
  adoptExportName(TASK_DEFS.get(value), value, exportName);
}

export function isTask(value: unknown): value is AnyTask {
  return typeof value === "function" && (value as unknown as Record<symbol, unknown>)[TASK] === true;
}

export function task<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>): Task<A, Awaited<R>>;
export function task<A extends unknown[], R>(options: TaskOptions, fn: (...args: A) => R | Promise<R>): Task<A, Awaited<R>>;
export function task<A extends unknown[], R>(
  a: TaskOptions | ((...args: A) => R | Promise<R>),
  b?: (...args: A) => R | Promise<R>,
): Task<A, Awaited<R>> {
  const [options, fn] = definitionArgs<TaskOptions>("task", a as TaskOptions, b as ((...args: unknown[]) => unknown) | undefined);
  return makeTask(options, fn) as unknown as Task<A, Awaited<R>>;
}

/** Persisting is on when asked, or when caching or a storage key needs it. */
function persistenceOf(options: TaskOptions, name: string): boolean {
  if (options.cacheKeyFn && options.persistResult === false) {
    throw new UserError(`Task '${name}' has a cacheKeyFn but persistResult: false; caching reuses persisted results, so remove persistResult: false.`);
  }
  return options.persistResult ?? (options.cacheKeyFn !== undefined || options.resultStorageKey !== undefined);
}

function makeTask(options: TaskOptions, fn: (...args: unknown[]) => unknown): AnyTask {
  const name = options.name ?? (fn.name || DEFAULT_TASK_NAME);
  const persist = persistenceOf(options, name);
  const retries = Math.max(0, Math.floor(options.retries ?? 0));
  // A task run's hooks: completion and failure (a cancelled task run calls none).
  const hooks = { onCompletion: hookList(options.onCompletion), onFailure: hookList(options.onFailure), onCancellation: [] };
  if (options.logPrints) enableLogPrints();

  const def: TaskDef = { name, options, fn, persist, retries, hooks, self: undefined as unknown as AnyTask, seq: DEFINED.length };

  const call = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const ctx = requireContext(def.name);
    const result = startTaskRun(def, args, ctx).then(resultOf);
    // A call the flow forgot to await must not crash the process; the flow run still sees the failure.
    result.catch(noop);
    return result;
  } as AnyTask;
  def.self = call;
  TASK_DEFS.set(call, def);
  DEFINED.push(def);
  Object.defineProperties(call, {
    name: { value: name, configurable: true },
    [TASK]: { value: true },
    options: { value: Object.freeze({ ...options }) },
    fn: { value: fn },
  });
  Object.assign(call, {
    submit(...args: unknown[]) {
      return submitTaskRun(def, args, requireContext(def.name));
    },
    map(...args: unknown[]) {
      const ctx = requireContext(def.name);
      return expandMapArguments(def.name, args).map((runArgs) => submitTaskRun(def, runArgs, ctx));
    },
    withOptions(more: TaskOptions) {
      return makeTask({ ...options, ...more }, fn);
    },
  });
  return call;
}

interface TaskDef {
  /** Its place among the tasks this process defined: the same in every process that loads the same file. */
  seq: number;
  name: string;
  options: TaskOptions;
  fn: (...args: unknown[]) => unknown;
  persist: boolean;
  retries: number;
  hooks: RunHooks;
  self: AnyTask;
}

function requireContext(name: string): RunContext {
  const ctx = currentContext();
  if (!ctx) {
    throw new MissingContextError(
      `Task '${name}' was called outside a flow run. Call it from inside a flow, or call ${name}.fn(...) to run the plain function.`,
    );
  }
  return ctx;
}

function noop(): void {}

function resultOf(state: State): unknown {
  return state.result();
}

function submitTaskRun(def: TaskDef, args: unknown[], ctx: RunContext): Future {
  const id = randomUUID();
  let future: Future | undefined;
  const onState = (state: State) => future?.setState(state);
  const limiter = ctx.flowRun.limiter;
  const final = limiter ? limiter.run(() => startTaskRun(def, args, ctx, id, onState)) : startTaskRun(def, args, ctx, id, onState);
  future = new Future(id, final, PENDING);
  return future;
}

const PENDING = new State("Pending");

/** Starts a task run; the promise resolves to its final state and never rejects. */
async function startTaskRun(
  def: TaskDef,
  args: unknown[],
  ctx: RunContext,
  id: string = randomUUID(),
  onState?: (state: State) => void,
): Promise<State> {
  const flowRun = ctx.flowRun;
  flowRun.active++;
  flowRun.childCount++;
  let state: State;
  try {
    state = await runTask(def, args, flowRun, id, onState);
  } catch (err) {
    state = new State("Crashed", "Crashed", `Flowline could not record this task run: ${describeError(err)}`, undefined, err);
  }
  childEnded(flowRun, state);
  return state;
}

/** Counts a task or subflow run's end toward its flow run's final state, and wakes a flow waiting to end. */
export function childEnded(flowRun: FlowRunRecord, state: State): void {
  if (state.type === "Failed" || state.type === "Crashed") flowRun.failedChildren++;
  else if (state.type === "Cancelled") flowRun.cancelledChildren++;
  if (--flowRun.active === 0 && flowRun.idle) {
    const wake = flowRun.idle;
    flowRun.idle = undefined;
    wake();
  }
}

/**
 * A task run: its upstream futures resolved, its parameters bound, its cache looked up, then its attempts.
 * Returns the final state, or a promise of it: a plain call awaits nothing on the way to its attempts.
 */
function runTask(def: TaskDef, rawArgs: unknown[], flowRun: FlowRunRecord, id: string, onState?: (state: State) => void): State | Promise<State> {
  // Numbered and timed as called, whenever its upstream runs end.
  const created = new Date();
  const counter = flowRun.taskCounters.get(def.name) ?? 0;
  flowRun.taskCounters.set(def.name, counter + 1);
  const call: TaskCall = { def, flowRun, id, name: `${def.name}-${counter}`, created, onState };
  if (!hasFutures(rawArgs)) return startTask(call, rawArgs, undefined);
  return resolveFutures(rawArgs).then(
    (args) => startTask(call, args, undefined),
    (err: unknown) => startTask(call, rawArgs, err),
  );
}

interface TaskCall {
  /** Attempts made before this process got the run (a worker that died with it): runCount goes on from there. */
  attemptsBefore?: number;
  def: TaskDef;
  flowRun: FlowRunRecord;
  id: string;
  /** The default run name, `<task>-<n>`. */
  name: string;
  created: Date;
  onState: ((state: State) => void) | undefined;
}

function startTask({ def, flowRun, id, name, created, onState, attemptsBefore }: TaskCall, args: unknown[], upstreamError: unknown): State | Promise<State> {
  const { options } = def;
  let parameters: Record<string, unknown> = {};
  let callArgs: unknown[] = args;
  let runName = name;
  let setupError: unknown = upstreamError;
  if (setupError === undefined) {
    try {
      ({ parameters, callArgs } = bindArguments(paramSpec(def.fn), args, options.parameters));
      if (options.taskRunName !== undefined) runName = renderRunName(options.taskRunName, parameters, "taskRunName");
    } catch (err) {
      setupError = err;
    }
  }

  const record: TaskRunRecord = {
    id,
    name: runName,
    taskName: def.name,
    parameters,
    tags: options.tags ?? [],
    runCount: attemptsBefore ?? 0,
    stopper: flowRun.stopper,
    logPrints: options.logPrints ?? flowRun.logPrints,
  };
  const ctx: RunContext = { flowRun, taskRun: record };
  engineConfig().sink.emit({
    e: "task_run",
    id,
    flowRunId: flowRun.id,
    name: runName,
    taskName: def.name,
    parameters: isPlainJson(parameters) ? parameters : toJsonSafe(parameters),
    tags: record.tags,
    created: created.toISOString(),
  });
  // The task_run event itself stands for the first state, Pending: one event fewer a run.

  const run = new TaskAttempts(def, record, ctx, callArgs, flowRun.stopper, onState);
  if (setupError !== undefined) {
    const state = isInstance(setupError, UpstreamError)
      ? new State("Failed", "NotReady", setupError.message, undefined, setupError)
      : failureState(setupError, "Task run");
    return endRun(run, state);
  }
  // taskRunner "distributed": a worker runs the rest (cache lookup, attempts, result) with the same code.
  if (flowRun.remote) return flowRun.remote.run({ flowRun, taskRun: record, taskSeq: def.seq, callArgs, serializer: options.resultSerializer ?? "json" });

  if (options.cacheKeyFn) {
    try {
      const key = options.cacheKeyFn(cacheContext(def, flowRun, record), parameters);
      run.cacheKey = key === null || key === undefined ? undefined : String(key);
    } catch (err) {
      return endRun(run, failureState(err, "Task run"));
    }
    if (run.cacheKey !== undefined && !options.refreshCache) return fromCache(run, run.cacheKey);
  }
  return runAttempts(run);
}

/** The task a distributed flow's process called, by its place among the tasks defined and its name. */
export function definedTask(seq: number, name: string): AnyTask | undefined {
  const def = DEFINED[seq]?.name === name ? DEFINED[seq] : DEFINED.find((d) => d.name === name);
  return def?.self;
}

/**
 * A worker's part of a distributed flow: runs one task run that the flow's process created, here, with
 * its id and name, going on from `attemptsBefore` attempts. Resolves to its final state.
 */
export function runTaskRunHere(target: AnyTask, callArgs: unknown[], flowRun: FlowRunRecord, taskRun: { id: string; name: string }, attemptsBefore: number): Promise<State> {
  const def = TASK_DEFS.get(target);
  if (!def) throw new UserError("runTaskRunHere() needs a task made with task().");
  const call: TaskCall = { def, flowRun, id: taskRun.id, name: taskRun.name, created: new Date(), onState: undefined, attemptsBefore };
  return Promise.resolve(startTask(call, callArgs, undefined));
}

/** Caching: an unexpired result under the same key, from any earlier run, is reused without running. */
async function fromCache(run: TaskAttempts, cacheKey: string): Promise<State> {
  const { options } = run.def;
  const hit = await findCachedResult(cacheKey, new Date()).catch((err: unknown) => {
    emitLog(run.ctx, "WARNING", `Could not read the cache index (${describeError(err)}); running the task.`);
    return undefined;
  });
  if (hit !== undefined) {
    let read: CachedRead;
    try {
      read = await loadCachedValue(engineConfig().home, hit, cacheKey, options.resultSerializer);
    } catch (err) {
      read = { hit: false, why: `The cached result at ${hit} could not be read (${describeError(err)})` };
    }
    if (read.hit) return endRun(run, new State("Completed", "Cached", `Cached result from ${hit}`, read.value), hit);
    emitLog(run.ctx, "WARNING", `${read.why}; not a cache hit, running the task.`);
  }
  return runAttempts(run);
}

/** A task run's part in runAttempts: a stored result is also a cache entry, and may be read back lazily. */
class TaskAttempts extends AttemptedRun {
  readonly kind = "task";
  readonly ownStopper = false;
  /** The run's cache key, when its task has a cacheKeyFn that gave one. */
  cacheKey: string | undefined;

  constructor(
    override readonly def: TaskDef,
    override readonly record: TaskRunRecord,
    ctx: RunContext,
    private readonly callArgs: unknown[],
    cancel: Stopper,
    override readonly onState: ((state: State) => void) | undefined,
  ) {
    super(def, record, ctx, cancel);
  }

  attemptStarted(name: "Running" | "Retrying"): void {
    this.onState?.(new State("Running", name));
  }

  call(): unknown {
    return runContext.run(this.ctx, this.def.fn, ...this.callArgs);
  }

  settle(value: unknown, threw: boolean, thrown: unknown): State {
    return threw ? failureState(thrown, "Task run") : new State("Completed", "Completed", undefined, value);
  }

  save(value: unknown, state: State): { resultKey: string; state: State } {
    const { options } = this.def;
    const { cacheKey } = this;
    const home = engineConfig().home;
    const serializer = options.resultSerializer ?? "json";
    const resultKey = runContext.run(this.ctx, () => persistValue(home, value, options.resultStorageKey, this.record.parameters, serializer, { cacheKey }));
    if (cacheKey !== undefined) {
      const expiresAt = options.cacheExpirationSeconds !== undefined ? new Date(Date.now() + options.cacheExpirationSeconds * 1000) : undefined;
      rememberCacheEntry(cacheKey, resultKey, expiresAt, this.record.id);
    }
    // cacheResultInMemory: false keeps only the stored copy; the run's result is read back when asked for.
    if (options.cacheResultInMemory === false) state = new LazyResultState(() => loadValue(home, resultKey, serializer));
    return { resultKey, state };
  }

  hookInfo(): TaskRunInfoForHooks {
    const r = this.record;
    return { id: r.id, name: r.name, taskName: r.taskName, parameters: r.parameters, tags: r.tags, runCount: r.runCount };
  }
}

class LazyResultState extends State {
  constructor(private readonly load: () => unknown) {
    super("Completed");
  }
  override result(): unknown {
    return this.load();
  }
}

function cacheContext(def: TaskDef, flowRun: FlowRunRecord, record: TaskRunRecord): TaskCacheContext {
  return {
    task: { name: def.name, fn: def.fn },
    flowRun: { id: flowRun.id, name: flowRun.name, flowName: flowRun.flowName, parameters: flowRun.parameters },
    taskRun: { id: record.id, name: record.name, taskName: record.taskName },
  };
}
