import * as fs from "node:fs";
import { Worker } from "node:worker_threads";

// A measurement aid for own-blocks.ts: of a stretch of time, how long this process's main thread ran on
// a CPU and how long it was ready to run but waited for one. On a busy machine (a browser, VS Code's
// server, the flow's process and the extension host on 2 cores) the thread can be descheduled in the
// middle of any function, and a profile sample then stands for time in which it did nothing but wait
// its turn. Time the thread was blocked in a call (a synchronous write, say) is neither: it is the
// caller's block. A worker thread reads the main thread's two counters from Linux's
// /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU, nanoseconds waiting on a run queue) every
// millisecond, with the time of the reading, into a shared ring; the main thread looks up any span in it.
// Elsewhere than Linux there is no such file, and no figure.

/** Readings kept, about 16 s of them: [monotonic µs, µs on a CPU, µs waiting for a CPU] each. */
const SLOTS = 16_384;
const FIELDS = 3;
const POLL_MS = 1;
/**
 * How far back or on a step is looked for. A running thread's CPU counter moves at least every 10 ms (a
 * scheduler tick at HZ=100); its wait counter moves when a wait ends.
 */
const STEP_READINGS = 20;

const WORKER = `
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const { file, ring } = workerData;
const view = new Float64Array(ring);
const count = new Int32Array(ring, 0, 2);
const slots = (view.length - 1) / ${FIELDS};
const fd = fs.openSync(file, "r");
const text = Buffer.alloc(128);
setInterval(() => {
  const n = fs.readSync(fd, text, 0, text.length, 0);
  const [ran, waited] = text.toString("latin1", 0, n).split(" ").map(Number);
  if (!Number.isFinite(ran) || !Number.isFinite(waited)) return;
  const at = 1 + ${FIELDS} * (Atomics.load(count, 0) % slots);
  view[at] = Number(process.hrtime.bigint() / 1000n);
  view[at + 1] = ran / 1000;
  view[at + 2] = waited / 1000;
  Atomics.add(count, 0, 1);
}, ${POLL_MS});
`;

/** Which counter: time on a CPU, or time ready to run but waiting for one. */
export type ThreadCounter = "ran" | "waited";
const FIELD: Record<ThreadCounter, number> = { ran: 1, waited: 2 };

export class ThreadCpu {
  private readonly ring = new SharedArrayBuffer(8 * (1 + FIELDS * SLOTS));
  private readonly view = new Float64Array(this.ring);
  private readonly count = new Int32Array(this.ring, 0, 2);
  private readonly worker: Worker;

  private constructor(file: string) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, ring: this.ring } });
    this.worker.unref();
    this.worker.on("error", () => undefined); // a measurement aid: without it there is no figure
  }

  /** Starts the readings, or undefined where the main thread's counters cannot be read. */
  static start(): ThreadCpu | undefined {
    // The main thread of a Node process is the process's first thread: its id is the process id.
    const file = `/proc/${process.pid}/task/${process.pid}/schedstat`;
    try {
      fs.readFileSync(file);
    } catch {
      return undefined;
    }
    return new ThreadCpu(file);
  }

  /**
   * Microseconds the main thread ran (or waited for a CPU) between two monotonic times (µs, as V8's
   * profiles and process.hrtime give them); undefined when the span is not within the readings kept.
   * Not capped at the span: a short piece can come out a little over its length (a step shared out
   * early), and the pieces of a longer span add up to it exactly only when none is cut.
   */
  between(counter: ThreadCounter, fromUs: number, toUs: number): number | undefined {
    const a = this.at(FIELD[counter], fromUs);
    const b = this.at(FIELD[counter], toUs);
    return a === undefined || b === undefined ? undefined : Math.max(0, b - a);
  }

  /** A counter at a monotonic time, from the readings around it; undefined outside them. */
  private at(field: number, us: number): number | undefined {
    const total = Atomics.load(this.count, 0);
    const first = Math.max(0, total - SLOTS + 1); // the oldest slot may be being written
    if (total === 0 || this.value(first, 0) > us || this.value(total - 1, 0) < us) return undefined;
    // The last reading at or before `us`.
    const lo = this.search(first, total - 1, (i) => this.value(i, 0) <= us);
    return field === FIELD.ran ? this.ranAt(lo, first, total, us) : this.waitedAt(lo, total, us);
  }

  /** The last index in [lo, hi] where `ok` holds (it holds at lo, and not after it stops holding). */
  private search(lo: number, hi: number, ok: (i: number) => boolean): number {
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ok(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The CPU counter grows while the thread runs, but the kernel adds to it only at a scheduler tick (every
   * few ms) or when the thread leaves its CPU: the readings are steps. Each new value is taken to have
   * come halfway between the last reading without it and the first with it, and the time between two such
   * points is shared out linearly.
   */
  private ranAt(lo: number, first: number, total: number, us: number): number {
    const f = FIELD.ran;
    const value = this.value(lo, f);
    let from = lo;
    for (let k = 0; k < STEP_READINGS && from > first && this.value(from - 1, f) === value; k++) from--;
    let to = lo + 1;
    for (let k = 0; k < STEP_READINGS && to < total && this.value(to, f) === value; k++) to++;
    if (to >= total || this.value(to, f) === value) return value;
    const t0 =
      from > first && this.value(from - 1, f) !== value ? (this.value(from - 1, 0) + this.value(from, 0)) / 2 : this.value(from, 0);
    const t1 = (this.value(to - 1, 0) + this.value(to, 0)) / 2;
    return t1 <= t0 ? value : value + ((this.value(to, f) - value) * Math.max(0, us - t0)) / (t1 - t0);
  }

  /**
   * The wait counter grows by a whole wait when the wait ends (the thread is given a CPU): a step of W
   * between two readings is a wait that ended between them (halfway, taken) and began W before.
   */
  private waitedAt(lo: number, total: number, us: number): number {
    const f = FIELD.waited;
    const value = this.value(lo, f);
    if (lo + 1 >= total) return value;
    // The counter never falls: the first reading after `lo` with more is found by halving.
    const to = this.search(lo, total - 1, (i) => this.value(i, f) === value) + 1;
    if (to >= total) return value;
    const ended = (this.value(to - 1, 0) + this.value(to, 0)) / 2;
    const step = this.value(to, f) - value;
    return value + Math.min(step, Math.max(0, us - (ended - step)));
  }

  /** Reading i's field: 0 its time, then the counters. */
  private value(i: number, field: number): number {
    return this.view[1 + FIELDS * (i % SLOTS) + field];
  }

  dispose(): void {
    void this.worker.terminate();
  }
}
