import * as path from "node:path";

// Stack traces in logs show the user's frames: Flowline's own (its src/ and dist/ under `flowlineDirs`),
// Node's internals and dependencies are folded into one line. A run logs its error twice (the task run
// that raised it, then the flow run it ended), so a trace already printed for the run is not printed again.

const FRAME = /^\s+at .*$/;

export class TraceFolder {
  private readonly seen = new Set<string>();
  private readonly hidden: string[];

  constructor(flowlineDirs: string[]) {
    this.hidden = flowlineDirs.flatMap((d) => [path.join(d, "src"), path.join(d, "dist")]);
  }

  /** A log message with its trace folded; a trace printed before for this run becomes a pointer to it. */
  fold(message: string): string {
    const lines = message.split("\n");
    const first = lines.findIndex((l) => FRAME.test(l));
    if (first < 0) return message;
    const head = lines.slice(0, first);
    const frames = lines.slice(first).filter((l) => FRAME.test(l));
    const rest = lines.slice(first).filter((l) => !FRAME.test(l));
    const kept = frames.filter((f) => this.isUsers(f));
    const key = [...kept, ...frames.length.toString()].join("\n");
    const folded = frames.length - kept.length;
    const indent = /^\s+/.exec(frames[0])?.[0] ?? "    ";
    let body: string[];
    if (this.seen.has(key)) body = [`${indent}(the same trace as above)`];
    else {
      this.seen.add(key);
      body = folded > 0 ? [...kept, `${indent}… ${folded} frame${folded === 1 ? "" : "s"} of Flowline and Node folded`] : kept;
    }
    return [...head, ...body, ...rest].join("\n");
  }

  private isUsers(frame: string): boolean {
    if (/\((?:node:|<anonymous>)|at node:|node_modules[\\/]/.test(frame)) return false;
    return !this.hidden.some((dir) => frame.includes(`${dir}${path.sep}`) || frame.includes(`file://${dir}${path.sep}`));
  }
}
