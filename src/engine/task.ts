import { AttemptedRun, crashed, endRun, runAttempts, type AttemptDef } from "./attempts";
import { isoTime } from "./clock";
import { newId } from "./ids";
import { findCachedResult, rememberCacheEntry, type TaskCacheContext } from "./cache";
import { engineConfig } from "./config";
import { currentContext, runContext, type RunContext } from "./context";
import { MissingContextError, UpstreamError, UserError } from "./errors";
import { hasFutures, mapArguments, resolveFutures } from "./task-arguments";
import { Future, type AllowFailure, type Unmapped, type WaitFor } from "./future";
import { isPlainJson, toJsonSafe } from "./json-safe";
import { emitLog, enableLogPrints } from "./logging";
import { bindArguments, paramSpec } from "./params";
import { loadCachedValue, loadValue, persistValue } from "./results";
import type { CachedRead } from "./result-document";
import type { FlowRunRecord, TaskRunRecord } from "./run-records";
import { adoptExportName, definitionArgs, describeError, failureState, hookList, isInstance, renderRunName, type Hook, type RunOptions } from "./run-common";
import { State } from "./states";
import type { Stopper } from "./stopper";
import type { Submitted } from "./submissions";

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
  /** A cached result older than this is not reused. */
  cacheExpirationSeconds?: number;
  /** Run even on a cache hit, and store the new result under the key. */
  refreshCache?: boolean;
  /** The run's name: a template of its parameters or a function of them (default: `<task>-<n>`). `{ taskRunName: "load-{city}" }` */
  taskRunName?: string | ((parameters: Record<string, unknown>) => string);
}

/** An argument that may also be given as a future of a task run that produces it. */
export type Futurable<T> = T | Future<T> | AllowFailure<T>;
/** A value, or the same shape with futures anywhere inside it (they are awaited before the run starts). */
type Deep<T> = T extends unknown ? Futurable<T> | (T extends object ? { [P in keyof T]: Deep<T[P]> } : never) : never;
type FuturableArgs<A extends unknown[]> = { [K in keyof A]: Deep<A[K]> };
type MapArg<T> = readonly Futurable<T>[] | Unmapped<T> | T | (T extends object ? { [P in keyof T]: readonly T[P][] | Unmapped<T[P]> | T[P] } : never);
type MapArgs<A extends unknown[]> = { [K in keyof A]: MapArg<A[K]> };

export interface Task<A extends unknown[] = unknown[], R = unknown> {
  /** Runs the task inside the current flow run and resolves to its value. */
  (...args: FuturableArgs<A>): Promise<R>;
  /** Runs it once the futures in `waitFor(...)` have ended, without passing their values. */
  (...args: [...FuturableArgs<A>, WaitFor]): Promise<R>;
  readonly name: string;
  readonly options: Readonly<TaskOptions>;
  /** The plain function, to call without a run. */
  readonly fn: (...args: A) => R | Promise<R>;
  /** Starts a task run and returns its future at once (runs under the flow's task runner). */
  submit(...args: FuturableArgs<A>): Future<R>;
  /** Starts it once the futures in `waitFor(...)` have ended (`next.submit(5, waitFor(a, allowFailure(b)))`). */
  submit(...args: [...FuturableArgs<A>, WaitFor]): Future<R>;
  /** One task run per element: arrays are mapped (all the same length), `unmapped(x)` and other values are shared. */
  map(...args: MapArgs<A>): Future<R>[];
  /** A copy of this task with some options changed. */
  withOptions(options: TaskOptions): Task<A, R>;
}

// `any[]` is the one parameter list every function's type extends (`unknown[]` is not, parameters being contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
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

/**
 * Makes a task: called inside a flow, each call is a task run with its own state, retries, timeout,
 * caching and persisted result. `.submit()` starts one and returns a future; `.map()` starts one per item.
 *
 * @example
 * const greet = task({ name: "greet", retries: 2, cacheKeyFn: taskInputHash }, async (name: string) => `hello ${name}`);
 */
export function task<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>): Task<A, Awaited<R>>;
/**
 * Makes a task: called inside a flow, each call is a task run with its own state, retries, timeout,
 * caching and persisted result. `.submit()` starts one and returns a future; `.map()` starts one per item.
 *
 * @example
 * const greet = task({ name: "greet", retries: 2, cacheKeyFn: taskInputHash }, async (name: string) => `hello ${name}`);
 */
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

  const tags = Object.freeze([...(options.tags ?? [])]) as string[];
  const def: TaskDef = { name, options, fn, persist, retries, hooks, tags, self: undefined as unknown as AnyTask, seq: DEFINED.length };

  const call = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const flowRun = requireContext(def.name).flowRun;
    const run = new TaskRun(def, flowRun, newId(), `${def.name}-${reserveRuns(flowRun, def, 1)}`, Date.now(), undefined);
    const promise = new Promise<unknown>(capture);
    run.resolve = captured.resolve;
    run.reject = captured.reject;
    run.promise = promise;
    run.start(args);
    return promise;
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
      return submitTaskRuns(def, requireContext(def.name).flowRun, { length: 1, at: () => args })[0];
    },
    map(...args: unknown[]) {
      const flowRun = requireContext(def.name).flowRun;
      return submitTaskRuns(def, flowRun, mapArguments(def.name, args));
    },
    withOptions(more: TaskOptions) {
      return makeTask({ ...options, ...more }, fn);
    },
  });
  return call;
}

interface TaskDef extends AttemptDef {
  /** Its place among the tasks this process defined: the same in every process that loads the same file. */
  seq: number;
  name: string;
  options: TaskOptions;
  fn: (...args: unknown[]) => unknown;
  /** The tags every run of the task records (one array for all of them). */
  tags: string[];
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

// A called run's promise is settled by the run when it ends. One executor for every call, not a closure
// made per call: it hands over the resolving functions through `captured`, read right after.
const captured: { resolve: (value: unknown) => void; reject: (err: unknown) => void } = { resolve: noop, reject: noop };
function capture(resolve: (value: unknown) => void, reject: (err: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/**
 * Runs of a task about to be made: numbered (as Prefect names them, `<task>-<n>`, in the order called) and
 * counted toward their flow run, which waits for them. Returns the first number.
 */
function reserveRuns(flowRun: FlowRunRecord, def: TaskDef, count: number): number {
  const first = flowRun.taskCounters.get(def.name) ?? 0;
  flowRun.taskCounters.set(def.name, first + count);
  flowRun.active += count;
  flowRun.childCount += count;
  return first;
}

/**
 * Submitted task runs (one for `submit`, one an item for `map`): their futures are returned at once, and
 * each run is made when its flow run's submissions let it start (see submissions.ts), with the number and
 * creation time it got when called. Until then a run is its future and nothing else.
 */
class Submission implements Submitted {
  readonly futures: Future[];
  private readonly first: number;
  private readonly created = Date.now();
  private next = 0;

  constructor(
    private readonly def: TaskDef,
    private readonly flowRun: FlowRunRecord,
    private readonly args: { readonly length: number; at(i: number): unknown[] },
  ) {
    this.futures = Array.from({ length: args.length }, () => new Future());
    this.first = reserveRuns(flowRun, def, args.length);
  }

  get done(): boolean {
    return this.next >= this.futures.length;
  }

  startNext(): void {
    const i = this.next++;
    const future = this.futures[i];
    const { def } = this;
    const run = new TaskRun(def, this.flowRun, future.id, `${def.name}-${this.first + i}`, this.created, future);
    let args: unknown[];
    try {
      args = this.args.at(i);
    } catch (err) {
      return crashed(run, err); // picking a mapped value ran user code that threw (a Proxy's trap)
    }
    run.start(args);
  }
}

function submitTaskRuns(def: TaskDef, flowRun: FlowRunRecord, args: { readonly length: number; at(i: number): unknown[] }): Future[] {
  const submission = new Submission(def, flowRun, args);
  if (!submission.done) flowRun.submissions.submit(submission);
  return submission.futures;
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

const NO_PARAMETERS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const NO_ARGUMENTS: unknown[] = [];

/**
 * One task run: the engine's record of it, its run context (what runtime.taskRun reads) and its attempts,
 * in one object, since a flow may make a million of them. It is numbered and timed when called, whenever
 * its upstream runs end and whenever its flow run's submissions let it start.
 */
class TaskRun extends AttemptedRun implements TaskRunRecord, RunContext {
  parameters = NO_PARAMETERS;
  private callArgs: unknown[] = NO_ARGUMENTS;
  runCount = 0;
  stopper: Stopper;
  /** The run's cache key, when its task has a cacheKeyFn that gave one. */
  cacheKey: string | undefined;
  /** A called run settles its caller's promise; a submitted one its future. */
  resolve: ((value: unknown) => void) | undefined;
  reject: ((err: unknown) => void) | undefined;
  promise: Promise<unknown> | undefined;

  /** Counted toward its flow run already (reserveRuns). */
  constructor(
    readonly def: TaskDef,
    readonly flowRun: FlowRunRecord,
    readonly id: string,
    public name: string,
    readonly created: number,
    private readonly future: Future | undefined,
  ) {
    super();
    this.stopper = flowRun.stopper;
  }

  get kind(): "task" {
    return "task";
  }
  get ownStopper(): boolean {
    return false;
  }
  get record(): this {
    return this;
  }
  get ctx(): this {
    return this;
  }
  get taskRun(): this {
    return this;
  }
  /** A task run lives within one attempt of its flow run (the flow run waits for it), so that attempt's stopper ends it. */
  get cancel(): Stopper {
    return this.flowRun.stopper;
  }
  get taskName(): string {
    return this.def.name;
  }
  get tags(): string[] {
    return this.def.tags;
  }
  get logPrints(): boolean {
    return this.def.options.logPrints ?? this.flowRun.logPrints;
  }

  /** Resolves the futures among its arguments, then begins. */
  start(args: unknown[]): void {
    this.callArgs = args;
    try {
      if (!hasFutures(args)) return this.begin(args, undefined);
    } catch (err) {
      return crashed(this, err);
    }
    resolveFutures(args).then(
      (resolved) => this.begin(resolved, undefined),
      (err: unknown) => this.begin(args, err),
    );
  }

  /** Its parameters bound, its cache looked up, then its attempts. */
  private begin(args: unknown[], upstreamError: unknown): void {
    try {
      const { def } = this;
      const { options } = def;
      let setupError: unknown = upstreamError;
      let name = this.name;
      if (setupError === undefined) {
        try {
          const bound = bindArguments(paramSpec(def.fn), args, options.parameters);
          this.parameters = bound.parameters;
          this.callArgs = bound.callArgs;
          if (options.taskRunName !== undefined) name = renderRunName(options.taskRunName, bound.parameters, "taskRunName");
        } catch (err) {
          setupError = err;
        }
      }
      this.name = name;
      const parameters = this.parameters;
      engineConfig().sink.emit({
        e: "task_run",
        id: this.id,
        flowRunId: this.flowRun.id,
        name,
        taskName: def.name,
        parameters: isPlainJson(parameters) ? parameters : toJsonSafe(parameters),
        tags: def.tags,
        created: isoTime(this.created),
      });
      // The task_run event itself stands for the first state, Pending: one event fewer a run.
      if (setupError !== undefined) {
        const state = isInstance(setupError, UpstreamError)
          ? new State("Failed", "NotReady", setupError.message, undefined, setupError)
          : failureState(setupError, "Task run");
        return endRun(this, state);
      }
      // taskRunner "distributed": a worker runs the rest (cache lookup, attempts, result) with the same code,
      // and records its states; this process only learns how it ended.
      const remote = this.flowRun.remote;
      if (remote) {
        const call = { flowRun: this.flowRun, taskRun: this, taskSeq: def.seq, callArgs: this.callArgs, serializer: options.resultSerializer ?? "json" };
        return void remote.run(call).then(
          (state) => this.ended(state),
          (err: unknown) => crashed(this, err),
        );
      }
      if (options.cacheKeyFn) {
        try {
          const key = options.cacheKeyFn(cacheContext(this), parameters);
          this.cacheKey = key === null || key === undefined ? undefined : String(key);
        } catch (err) {
          return endRun(this, failureState(err, "Task run"));
        }
        if (this.cacheKey !== undefined && !options.refreshCache) return void fromCache(this, this.cacheKey).catch((err: unknown) => crashed(this, err));
      }
      runAttempts(this);
    } catch (err) {
      crashed(this, err);
    }
  }

  attemptStarted(name: "Running" | "Retrying"): void {
    this.future?.setState(new State("Running", name));
  }

  override onState(state: State): void {
    this.future?.setState(state);
  }

  call(): unknown {
    return runContext.run(this, this.def.fn, ...this.callArgs);
  }

  settle(value: unknown, threw: boolean, thrown: unknown): State {
    return threw ? failureState(thrown, "Task run") : new State("Completed", "Completed", undefined, value);
  }

  save(value: unknown, state: State): { resultKey: string; state: State } {
    const { options } = this.def;
    const { cacheKey } = this;
    const home = engineConfig().home;
    const serializer = options.resultSerializer ?? "json";
    const resultKey = runContext.run(this, () => persistValue(home, value, options.resultStorageKey, this.parameters, serializer, { cacheKey }));
    if (cacheKey !== undefined) {
      const expiresAt = options.cacheExpirationSeconds !== undefined ? new Date(Date.now() + options.cacheExpirationSeconds * 1000) : undefined;
      rememberCacheEntry(cacheKey, resultKey, expiresAt, this.id);
    }
    // cacheResultInMemory: false keeps only the stored copy; the run's result is read back when asked for.
    if (options.cacheResultInMemory === false) state = new LazyResultState(() => loadValue(home, resultKey, serializer));
    return { resultKey, state };
  }

  hookInfo(): TaskRunInfoForHooks {
    return { id: this.id, name: this.name, taskName: this.taskName, parameters: this.parameters, tags: this.tags, runCount: this.runCount };
  }

  protected ended(state: State): void {
    childEnded(this.flowRun, state);
    const future = this.future;
    if (future) {
      future.settle(state);
      this.flowRun.submissions.ended();
      return;
    }
    let value: unknown;
    try {
      value = state.result();
    } catch (err) {
      // A call the flow forgot to await must not crash the process; the flow run still sees the failure.
      this.promise?.catch(noop);
      return this.reject?.(err);
    }
    this.resolve?.(value);
  }
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
  const future = new Future(taskRun.id);
  const run = new TaskRun(def, flowRun, taskRun.id, taskRun.name, Date.now(), future);
  run.runCount = attemptsBefore;
  run.start(callArgs);
  return future.wait();
}

/** Caching: an unexpired result under the same key, from any earlier run, is reused without running. */
async function fromCache(run: TaskRun, cacheKey: string): Promise<void> {
  const { options } = run.def;
  const hit = await findCachedResult(cacheKey, new Date()).catch((err: unknown) => {
    emitLog(run, "WARNING", `Could not read the cache index (${describeError(err)}); running the task.`);
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
    emitLog(run, "WARNING", `${read.why}; not a cache hit, running the task.`);
  }
  runAttempts(run);
}

class LazyResultState extends State {
  constructor(private readonly load: () => unknown) {
    super("Completed");
  }
  override result(): unknown {
    return this.load();
  }
}

function cacheContext(run: TaskRun): TaskCacheContext {
  const { flowRun } = run;
  return {
    task: { name: run.def.name, fn: run.def.fn },
    flowRun: { id: flowRun.id, name: flowRun.name, flowName: flowRun.flowName, parameters: flowRun.parameters },
    taskRun: { id: run.id, name: run.name, taskName: run.taskName },
  };
}
