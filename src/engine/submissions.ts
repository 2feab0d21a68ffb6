import { UserError } from "./errors";

// When submitted task runs start. They start once the code that submitted them yields. "concurrent" means
// every submitted run starts without waiting for any other to end, but not all in one turn of the event loop: at most START_BATCH start per turn and the rest
// on the turns after. A flow that maps a task over a million items then holds a million small futures
// (and the runs that have not started yet), not a million runs in flight at once; runs that wait (I/O,
// timers) all get going within a few turns, as before. A limit (the task runner's maxConcurrency, or 1
// for "sequential") also holds runs back until others end.

/** Submitted task runs (one, or a map's), waiting for their turn: started one at a time, in order. */
export interface Submitted {
  readonly done: boolean;
  startNext(): void;
}

/** "distributed" (team mode): task runs go to workers through the queue; submitting them is not limited here. */
export type TaskRunnerOption = "concurrent" | "sequential" | "distributed" | { type: "concurrent"; maxConcurrency?: number } | { type: "sequential" } | { type: "distributed" };

const START_BATCH = 1000;
let startedThisTurn = 0;
let turnScheduled = false;
/** Flow runs' submissions that had runs to start when this turn's batch was used up. */
const deferred = new Set<Submissions>();

function nextTurn(): void {
  turnScheduled = false;
  startedThisTurn = 0;
  const waiting = [...deferred];
  deferred.clear();
  for (const submissions of waiting) submissions.pump();
}

/** One start from this turn's batch, or false (and `submissions` is pumped next turn). */
function takeStart(submissions: Submissions): boolean {
  if (!turnScheduled) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
  if (startedThisTurn >= START_BATCH) {
    deferred.add(submissions);
    return false;
  }
  startedThisTurn++;
  return true;
}

/** The submitted task runs of one flow run: started in order, as the turn's batch and the limit allow. */
export class Submissions {
  private queue: (Submitted | undefined)[] = [];
  private head = 0;
  /** Started and not ended: counted only against a limit. */
  private running = 0;
  private pumping = false;
  private scheduled = false;

  constructor(private readonly limit: number = Infinity) {}

  /** Queues runs; they start once the code that submitted them yields (a microtask later), so a future starts Pending. */
  submit(runs: Submitted): void {
    this.queue.push(runs);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.pumpSoon);
  }

  private readonly pumpSoon = (): void => {
    this.scheduled = false;
    this.pump();
  };

  /** A run submitted here has ended: the next may start. */
  ended(): void {
    this.running--;
    this.pump();
  }

  /** Starts what may start now. A run that ends at once (a synchronous task) pumps again: the loop goes on instead. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.head < this.queue.length && this.running < this.limit && takeStart(this)) {
        const next = this.queue[this.head] as Submitted;
        this.running++;
        next.startNext();
        if (!next.done) continue;
        this.queue[this.head++] = undefined;
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        } else if (this.head >= 4096 && this.head * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

/** The submissions of a flow run with the task runner `option`. */
export function submissionsFor(option: TaskRunnerOption | undefined): Submissions {
  if (option === undefined || option === "concurrent" || option === "distributed") return new Submissions();
  if (option === "sequential" || option.type === "sequential") return new Submissions(1);
  if (option.type === "distributed") return new Submissions();
  if (option.type === "concurrent") {
    const max = option.maxConcurrency;
    if (max === undefined) return new Submissions();
    if (!Number.isInteger(max) || max < 1) throw new UserError(`taskRunner maxConcurrency must be a whole number of at least 1, not ${max}.`);
    return new Submissions(max);
  }
  throw new UserError(`taskRunner must be "concurrent", "sequential", "distributed" or { type: "concurrent", maxConcurrency }, not ${JSON.stringify(option)}.`);
}
