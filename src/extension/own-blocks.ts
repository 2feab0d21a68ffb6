import * as inspector from "node:inspector";
import { ThreadCpu } from "./thread-cpu";

// A measurement aid (with FLOWLINE_MEASURE_EVENT_LOOP): which part of each event-loop block was Flowline's.
// The extension host's loop is shared by every extension and by VS Code itself, so its longest block
// (monitorEventLoopDelay) says little about Flowline alone. Here the host's thread is sampled by V8's CPU
// profiler (1 ms), in profiles of a few seconds: a block is a run of samples between two idle ones, and
// Flowline's part of it is the time of the samples with a frame from Flowline's own files on their stack.

/** One block of the event loop (only blocks where Flowline ran at least 1 ms are kept). */
export interface OwnBlock {
  /** Epoch ms at which the block ended. */
  endedAt: number;
  /** The whole block, ms. */
  totalMs: number;
  /** The time of samples with a Flowline frame on their stack, ms. */
  flowlineMs: number;
  /** That time less the time the thread waited for a CPU in it, ms (Linux only). */
  flowlineHeldMs?: number;
  /** Of that time, how long the thread ran on a CPU, ms (Linux only). */
  flowlineCpuMs?: number;
  /** Of the whole block, how long the thread ran on a CPU, and how long it waited for one, ms (Linux only). */
  cpuMs?: number;
  waitedMs?: number;
  /** Flowline's functions that took the most of it: "name (file:line:column) ms". */
  top: string[];
  /** The functions (anyone's) at the top of those samples' stacks: where the time went inside them. */
  leaves: string[];
}

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const SAMPLE_US = 1000;
const PROFILE_MS = 2000;
const KEPT = 2000;
/** Functions of the measurement itself: their samples are not Flowline's work. */
const MEASURING = /^measure[A-Z]/;

export class OwnBlocks {
  private readonly session = new inspector.Session();
  private startedAt = 0;
  private readonly blocks: OwnBlock[] = [];
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  private readonly cpu = ThreadCpu.start();

  /** `ours(url)` says whether a script is Flowline's (the extension's own folder). */
  constructor(private readonly ours: (url: string) => boolean) {
    this.session.connect();
    this.session.post("Profiler.enable");
    this.session.post("Profiler.setSamplingInterval", { interval: SAMPLE_US });
    this.measureStart();
    this.timer = setInterval(() => this.measureRestart(), PROFILE_MS);
    this.timer.unref();
  }

  /** Blocks ended since `since` (epoch ms), oldest first. */
  since(since = 0): OwnBlock[] {
    return this.blocks.filter((b) => b.endedAt >= since);
  }

  private measureStart(): void {
    this.session.post("Profiler.start", () => (this.startedAt = Date.now()));
  }

  private measureRestart(): void {
    if (this.stopped) return;
    this.session.post("Profiler.stop", (err, res) => {
      if (!err && res?.profile) this.measureAnalyse(res.profile as unknown as Profile, this.startedAt);
      if (!this.stopped) this.measureStart();
    });
  }

  private measureAnalyse(profile: Profile, startedAt: number): void {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parents = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
    // For each node: the Flowline frame nearest the leaf on its stack (null: none), and whether the stack
    // is the measurement's own (a Flowline function named measure…).
    const owner = new Map<number, ProfileNode | null>();
    const measuring = new Map<number, boolean>();
    const ownerOf = (id: number): ProfileNode | null => {
      const known = owner.get(id);
      if (known !== undefined) return known;
      const n = nodes.get(id)!;
      const parent = parents.get(id);
      const up = parent === undefined ? null : ownerOf(parent);
      const mine = this.ours(n.callFrame.url);
      measuring.set(id, (mine && MEASURING.test(n.callFrame.functionName)) || (parent !== undefined && measuring.get(parent) === true));
      const found = mine ? n : up;
      owner.set(id, found);
      return found;
    };
    let t = profile.startTime;
    let block:
      | {
          start: number;
          end: number;
          flowline: number;
          flowlineCpu: number | undefined;
          flowlineWaited: number | undefined;
          by: Map<string, number>;
          leaves: Map<string, number>;
        }
      | undefined;
    const close = () => {
      if (block && block.flowline >= 1000) {
        const most = (m: Map<string, number>) =>
          [...m]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3)
            .map(([k, us]) => `${k} ${(us / 1000).toFixed(1)} ms`);
        const totalMs = (block.end - block.start) / 1000;
        const ran = this.cpu?.between("ran", block.start, block.end);
        const waited = this.cpu?.between("waited", block.start, block.end);
        const flowlineMs = Math.min(totalMs, block.flowline / 1000);
        const flowlineCpuMs = block.flowlineCpu === undefined ? undefined : Math.min(flowlineMs, block.flowlineCpu / 1000);
        this.blocks.push({
          endedAt: startedAt + (block.end - profile.startTime) / 1000,
          totalMs,
          flowlineMs,
          flowlineHeldMs:
            block.flowlineWaited === undefined
              ? undefined
              : Math.min(flowlineMs, Math.max(flowlineCpuMs ?? 0, flowlineMs - block.flowlineWaited / 1000)),
          flowlineCpuMs,
          cpuMs: ran === undefined ? undefined : Math.min(totalMs, ran / 1000),
          waitedMs: waited === undefined ? undefined : Math.min(totalMs, waited / 1000),
          top: most(block.by),
          leaves: most(block.leaves),
        });
        if (this.blocks.length > KEPT) this.blocks.shift();
      }
      block = undefined;
    };
    for (let i = 0; i < profile.samples.length; i++) {
      const delta = profile.timeDeltas[i] ?? 0;
      t += delta;
      const id = profile.samples[i];
      const name = nodes.get(id)?.callFrame.functionName;
      if (name === "(idle)") {
        close();
        continue;
      }
      block ??= {
        start: t - delta,
        end: t,
        flowline: 0,
        flowlineCpu: this.cpu ? 0 : undefined,
        flowlineWaited: this.cpu ? 0 : undefined,
        by: new Map(),
        leaves: new Map(),
      };
      block.end = t;
      const own = ownerOf(id);
      if (own && !measuring.get(id)) {
        // A sample stands for the time until the next one.
        const us = profile.timeDeltas[i + 1] ?? SAMPLE_US;
        block.flowline += us;
        if (this.cpu) {
          const ran = this.cpu.between("ran", t, t + us);
          const waited = this.cpu.between("waited", t, t + us);
          block.flowlineCpu = ran === undefined || block.flowlineCpu === undefined ? undefined : block.flowlineCpu + ran;
          block.flowlineWaited = waited === undefined || block.flowlineWaited === undefined ? undefined : block.flowlineWaited + waited;
        }
        block.by.set(frameName(own), (block.by.get(frameName(own)) ?? 0) + us);
        const leaf = nodes.get(id)!;
        block.leaves.set(frameName(leaf), (block.leaves.get(frameName(leaf)) ?? 0) + us);
      }
    }
    close();
  }

  dispose(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.cpu?.dispose();
    try {
      this.session.post("Profiler.stop");
      this.session.disconnect();
    } catch {
      // a measurement aid only
    }
  }
}

function frameName(n: ProfileNode): string {
  const file = n.callFrame.url.split(/[\\/]/).pop() || "native";
  return `${n.callFrame.functionName || "(anonymous)"} (${file}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1})`;
}
