import { randomUUID } from "node:crypto";
import { findCachedResult, rememberCacheEntry, type TaskCacheContext } from "./cache";
import { engineConfig } from "./config";
import { currentContext, runContext, type RunContext } from "./context";
import { MissingContextError, UpstreamError, UserError } from "./errors";
import { Future, isFuture, isUnmapped, type Unmapped } from "./future";
import { isPlainJson, toJsonSafe } from "./json-safe";
import { debugEnabled, emitLog, enableLogPrints } from "./logging";
import { bindArguments, paramSpec } from "./params";
import { loadCachedValue, loadValue, persistFailure, persistValue } from "./results";
import type { CachedRead } from "./result-document";
import { retryDelaySeconds, sleep } from "./retries";
import type { FlowRunRecord, TaskRunRecord } from "./run-records";
import {
  describeError,
  emitState,
  errorStack,
  isInstance,
  emitTransition,
  failureState,
  hookList,
  isPromiseLike,
  raceStop,
  Stopper,
  renderRunName,
  runHooks,
  type Hook,
  type RunOptions,
} from "./run-common";
import { State } from "./states";
import { StorageKeyError } from "./storage-key";

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

/**
 * Names a task made from an anonymous function (`export const hello = task(async () => ...)`) after
 * its export, as a Python function's name would be. The runner calls it before any run starts.
 */
export function adoptTaskExportName(value: AnyTask, exportName: string): void {
  const def = TASK_DEFS.get(value);
  if (!def || def.options.name !== undefined || def.fn.name) return;
  def.name = exportName;
  Object.defineProperty(value, "name", { value: exportName, configurable: true });
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
  const [options, fn] = typeof a === "function" ? [{}, a] : [a, b];
  if (typeof fn !== "function") throw new UserError("task() needs a function: task(fn) or task({ name, ... }, fn).");
  return makeTask(options ?? {}, fn as (...args: unknown[]) => unknown) as unknown as Task<A, Awaited<R>>;
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
  const onCompletion = hookList(options.onCompletion);
  const onFailure = hookList(options.onFailure);
  if (options.logPrints) enableLogPrints();

  const def: TaskDef = { name, options, fn, persist, retries, onCompletion, onFailure, self: undefined as unknown as AnyTask };

  const call = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const ctx = requireContext(def.name);
    const result = startTaskRun(def, args, ctx).then(resultOf);
    // A call the flow forgot to await must not crash the process; the flow run still sees the failure.
    result.catch(noop);
    return result;
  } as AnyTask;
  def.self = call;
  TASK_DEFS.set(call, def);
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
  name: string;
  options: TaskOptions;
  fn: (...args: unknown[]) => unknown;
  persist: boolean;
  retries: number;
  onCompletion: readonly Hook<AnyTask, TaskRunInfoForHooks>[];
  onFailure: readonly Hook<AnyTask, TaskRunInfoForHooks>[];
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

async function runTask(
  def: TaskDef,
  rawArgs: unknown[],
  flowRun: FlowRunRecord,
  id: string,
  onState?: (state: State) => void,
): Promise<State> {
  const { options } = def;
  const config = engineConfig();
  const sink = config.sink;
  const created = new Date();
  const counter = flowRun.taskCounters.get(def.name) ?? 0;
  flowRun.taskCounters.set(def.name, counter + 1);

  let args = rawArgs;
  let upstreamError: unknown;
  if (hasFutures(rawArgs)) {
    try {
      args = await resolveFutures(rawArgs);
    } catch (err) {
      upstreamError = err;
    }
  }

  let parameters: Record<string, unknown> = {};
  let callArgs: unknown[] = args;
  let runName = `${def.name}-${counter}`;
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
    runCount: 0,
    stopper: flowRun.stopper,
    logPrints: options.logPrints ?? flowRun.logPrints,
  };
  const ctx: RunContext = { flowRun, taskRun: record };
  sink.emit({
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

  if (setupError !== undefined) {
    const state = isInstance(setupError, UpstreamError)
      ? new State("Failed", "NotReady", setupError.message, undefined, setupError)
      : failureState(setupError, "Task run");
    return finishTask(def, ctx, onState, state);
  }

  // Caching: an unexpired result under the same key, from any earlier run, is reused without running.
  let cacheKey: string | undefined;
  if (options.cacheKeyFn) {
    try {
      const key = options.cacheKeyFn(cacheContext(def, flowRun, record), parameters);
      cacheKey = key === null || key === undefined ? undefined : String(key);
    } catch (err) {
      return finishTask(def, ctx, onState, failureState(err, "Task run"));
    }
    if (cacheKey !== undefined && !options.refreshCache) {
      const hit = await findCachedResult(cacheKey, new Date()).catch((err: unknown) => {
        emitLog(ctx, "WARNING", `Could not read the cache index (${describeError(err)}); running the task.`);
        return undefined;
      });
      if (hit !== undefined) {
        let read: CachedRead;
        try {
          read = loadCachedValue(config.home, hit, cacheKey, options.resultSerializer);
        } catch (err) {
          read = { hit: false, why: `The cached result at ${hit} could not be read (${describeError(err)})` };
        }
        if (read.hit) return finishTask(def, ctx, onState, new State("Completed", "Cached", `Cached result from ${hit}`, read.value), { resultKey: hit });
        emitLog(ctx, "WARNING", `${read.why}; not a cache hit, running the task.`);
      }
    }
  }

  for (;;) {
    record.runCount++;
    const runningName = record.runCount > 1 ? "Retrying" : "Running";
    emitTransition("task", id, "Running", runningName, record.runCount);
    onState?.(new State("Running", runningName));
    const attempt = options.timeoutSeconds === undefined ? flowRun.stopper : new Stopper(flowRun.stopper, options.timeoutSeconds, `Task run '${runName}'`);
    record.stopper = attempt;
    try {
      let value = runContext.run(ctx, def.fn, ...callArgs);
      if (isPromiseLike(value)) value = await raceStop(value, attempt);
      else if (attempt.stopped) throw attempt.reason;
      if (attempt !== flowRun.stopper) attempt.dispose();
      let resultKey: string | undefined;
      if (def.persist) {
        resultKey = runContext.run(ctx, () => persistValue(config.home, value, options.resultStorageKey, parameters, options.resultSerializer ?? "json", { cacheKey }));
        if (cacheKey !== undefined) {
          const expiresAt = options.cacheExpirationSeconds !== undefined ? new Date(Date.now() + options.cacheExpirationSeconds * 1000) : undefined;
          rememberCacheEntry(cacheKey, resultKey, expiresAt, id);
        }
      }
      const dropValue = def.persist && options.cacheResultInMemory === false && resultKey !== undefined;
      const state = dropValue
        ? new LazyResultState(() => loadValue(config.home, resultKey!, options.resultSerializer ?? "json"))
        : new State("Completed", "Completed", undefined, value);
      return finishTask(def, ctx, onState, state, resultKey !== undefined ? { resultKey } : undefined);
    } catch (err) {
      if (attempt !== flowRun.stopper) attempt.dispose();
      const state = failureState(err, "Task run");
      const retryable = state.type === "Failed" && !isInstance(err, StorageKeyError) && record.runCount <= def.retries;
      if (state.type === "Failed") emitLog(ctx, "ERROR", `Encountered exception during execution: ${errorStack(err)}`);
      if (!retryable) {
        // A key that cannot be rendered must leave nothing behind, not even the failure.
        const resultKey = def.persist && state.type === "Failed" && !isInstance(err, StorageKeyError) ? persistFailure(config.home, err, options.resultSerializer ?? "json") : undefined;
        return finishTask(def, ctx, onState, state, resultKey !== undefined ? { resultKey } : undefined);
      }
      const delay = retryDelaySeconds(options.retryDelaySeconds, record.runCount, options.retryJitterFactor);
      const awaiting = new State("Pending", "AwaitingRetry", `Retry ${record.runCount} of ${def.retries} in ${round(delay)}s`);
      emitState("task", id, awaiting, record.runCount);
      onState?.(awaiting);
      emitLog(ctx, "INFO", `Received non-final state 'AwaitingRetry' when proposing final state 'Failed' and will attempt to run again in ${round(delay)}s...`);
      try {
        await sleep(delay, flowRun.stopper.signal);
      } catch (cancel) {
        return finishTask(def, ctx, onState, failureState(cancel, "Task run"));
      }
    }
  }
}

async function finishTask(
  def: TaskDef,
  ctx: RunContext,
  onState: ((state: State) => void) | undefined,
  state: State,
  extra?: { resultKey?: string },
): Promise<State> {
  const record = ctx.taskRun!;
  emitState("task", record.id, state, record.runCount, extra?.resultKey);
  onState?.(state);
  if (state.type === "Completed") {
    if (debugEnabled()) emitLog(ctx, "DEBUG", `Finished in state ${state}`);
    if (def.onCompletion.length) await runHooks(def.onCompletion, "onCompletion", def.self, info(record), state, ctx);
  } else {
    emitLog(ctx, state.type === "Cancelled" ? "INFO" : "ERROR", `Finished in state ${state}`);
    if (def.onFailure.length && state.type !== "Cancelled") await runHooks(def.onFailure, "onFailure", def.self, info(record), state, ctx);
  }
  return state;
}

class LazyResultState extends State {
  constructor(private readonly load: () => unknown) {
    super("Completed");
  }
  override result(): unknown {
    return this.load();
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function info(record: TaskRunRecord): TaskRunInfoForHooks {
  return { id: record.id, name: record.name, taskName: record.taskName, parameters: record.parameters, tags: record.tags, runCount: record.runCount };
}

function cacheContext(def: TaskDef, flowRun: FlowRunRecord, record: TaskRunRecord): TaskCacheContext {
  return {
    task: { name: def.name, fn: def.fn },
    flowRun: { id: flowRun.id, name: flowRun.name, flowName: flowRun.flowName, parameters: flowRun.parameters },
    taskRun: { id: record.id, name: record.name, taskName: record.taskName },
  };
}

// Futures passed as arguments (at the top level, or one level into arrays and plain objects) are
// awaited and replaced by their values, as Prefect resolves upstream futures.
function hasFutures(args: unknown[]): boolean {
  for (const arg of args) {
    if (isFuture(arg)) return true;
    if (Array.isArray(arg)) {
      if (arg.length <= 10_000) for (const v of arg) if (isFuture(v)) return true;
    } else if (isPlainObject(arg)) {
      for (const k in arg) if (isFuture((arg as Record<string, unknown>)[k])) return true;
    }
  }
  return false;
}

async function resolveFutures(args: unknown[]): Promise<unknown[]> {
  const one = async (v: unknown): Promise<unknown> => {
    if (!isFuture(v)) return v;
    const state = await v.wait();
    if (state.type !== "Completed") throw new UpstreamError(`Upstream task run ${v.id} did not complete (${state.name}); this task run did not start.`);
    return state.result();
  };
  return Promise.all(
    args.map(async (arg) => {
      if (isFuture(arg)) return one(arg);
      if (Array.isArray(arg)) return Promise.all(arg.map(one));
      if (isPlainObject(arg)) {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(arg)) out[k] = await one((arg as Record<string, unknown>)[k]);
        return out;
      }
      return arg;
    }),
  );
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The argument lists of the runs `task.map(...)` starts. */
export function expandMapArguments(name: string, args: unknown[]): unknown[][] {
  // The object form, task.map({ name: ["a", "b"], greeting: unmapped("hi") }), maps its array fields.
  if (args.length === 1 && isPlainObject(args[0])) {
    const obj = args[0] as Record<string, unknown>;
    const keys = Object.keys(obj);
    const length = commonLength(name, keys.map((k) => [k, obj[k]] as const));
    if (length !== undefined) {
      return Array.from({ length }, (_, i) => {
        const one: Record<string, unknown> = {};
        for (const k of keys) one[k] = pickMapped(obj[k], i);
        return [one];
      });
    }
  }
  const length = commonLength(name, args.map((a, i) => [`argument ${i + 1}`, a] as const));
  if (length === undefined) {
    throw new UserError(`${name}.map() needs at least one array to map over; wrap values every run shares in unmapped(...).`);
  }
  return Array.from({ length }, (_, i) => args.map((a) => pickMapped(a, i)));
}

function commonLength(name: string, entries: ReadonlyArray<readonly [string, unknown]>): number | undefined {
  let length: number | undefined;
  let first = "";
  for (const [label, value] of entries) {
    if (!Array.isArray(value)) continue;
    if (length === undefined) {
      length = value.length;
      first = label;
    } else if (value.length !== length) {
      throw new UserError(`${name}.map() needs arrays of the same length: ${first} has ${length}, ${label} has ${value.length}.`);
    }
  }
  return length;
}

function pickMapped(value: unknown, i: number): unknown {
  if (isUnmapped(value)) return value.value;
  return Array.isArray(value) ? value[i] : value;
}
