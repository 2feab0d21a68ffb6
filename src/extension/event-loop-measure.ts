import * as fs from "node:fs";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { OwnBlocks, type OwnBlock } from "./own-blocks";
import type { WorkerMemory } from "./store-extras";

// A measurement aid (bench/extension-scale.mjs): with FLOWLINE_MEASURE_EVENT_LOOP=<file>, how long the
// extension host's event loop was held up, and its memory, are written to <file> every second and at
// deactivation, from activation on. The delay is measured with perf_hooks.monitorEventLoopDelay at a
// 5 ms resolution: a timer that should fire every 5 ms and records how late it was. The host's loop is
// shared with VS Code and every other extension: Flowline's own part of each block is measured apart, by
// sampling the thread (own-blocks.ts).

export interface EventLoopReport {
  /** Since activation: the longest delay, its 99th percentile and mean, in ms. */
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** RSS when measuring started (activation): before the store was opened. */
  rssAtActivationBytes: number;
  /** What the store's worker holds (its heap, and memory outside it such as sql.js's), once it is open. */
  store?: WorkerMemory;
  /** Each second's longest delay: [epoch ms at the second's end, ms], the latest 600. */
  windows: Array<[number, number]>;
  /** Blocks in which Flowline's code ran at least 1 ms, with its part of each; the latest 2000. */
  own: OwnBlock[];
}

const RESOLUTION_MS = 5;
const KEPT_WINDOWS = 600;

export class EventLoopMeasure {
  private readonly total: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly second: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly rssAtActivation = process.memoryUsage().rss;
  private readonly windows: Array<[number, number]> = [];
  private store: WorkerMemory | undefined;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  private readonly own: OwnBlocks;

  /** `ours(url)`: whether a script is Flowline's (its samples are Flowline's time). */
  constructor(
    private readonly file: string,
    private readonly storeMemory: () => Promise<WorkerMemory | undefined>,
    ours: (url: string) => boolean,
  ) {
    this.own = new OwnBlocks(ours);
    this.total.enable();
    this.second.enable();
    this.timer = setInterval(() => void this.measureTick(), 1000);
    this.timer.unref();
  }

  private async measureTick(): Promise<void> {
    this.windows.push([Date.now(), this.second.max / 1e6]);
    if (this.windows.length > KEPT_WINDOWS) this.windows.shift();
    this.second.reset();
    this.store = (await this.storeMemory().catch(() => undefined)) ?? this.store;
    // Written off this thread (the measurement must not add blocks of its own), whole or not at all.
    const tmp = `${this.file}.tmp`;
    if (this.stopped) return;
    await this.measureWrite(tmp).catch(() => undefined);
  }

  /** In a function of its own, named measure…, so that its samples are not counted as Flowline's (own-blocks.ts). */
  private async measureWrite(tmp: string): Promise<void> {
    await fs.promises.writeFile(tmp, JSON.stringify(this.measureReport()));
    if (!this.stopped) await fs.promises.rename(tmp, this.file); // the last report is dispose()'s
  }

  private measureReport(): EventLoopReport {
    const m = process.memoryUsage();
    return {
      maxMs: this.total.max / 1e6,
      p99Ms: this.total.percentile(99) / 1e6,
      meanMs: this.total.mean / 1e6,
      rssBytes: m.rss,
      heapUsedBytes: m.heapUsed,
      externalBytes: m.external,
      rssAtActivationBytes: this.rssAtActivation,
      store: this.store,
      windows: this.windows,
      own: this.own.since(),
    };
  }

  /** Writes the last report and stops (deactivation). */
  dispose(): void {
    if (this.stopped) return;
    this.windows.push([Date.now(), this.second.max / 1e6]);
    try {
      fs.writeFileSync(this.file, JSON.stringify(this.measureReport()));
    } catch {
      // a measurement aid only
    }
    this.stopped = true;
    this.own.dispose();
    clearInterval(this.timer);
    this.total.disable();
    this.second.disable();
  }
}
