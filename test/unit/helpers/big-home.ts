import * as fs from "node:fs";
import * as path from "node:path";
import { encodeEvent } from "../../../src/engine/journal";
import { journalDir } from "../../../src/shared/home";
import type { EngineEvent, TaskRunCreatedEvent } from "../../../src/shared/events";

// A Flowline home with a long history, written fast: journals in the engine's own line format
// (encodeEvent, as JournalWriter writes them), finished (a close line), for a store to fold once. Used
// by the extension's scale tests and by bench/extension-scale.mjs.

export interface HistoryShape {
  /** Flow runs, spread evenly over `days` days ending at `end`. */
  flowRuns: number;
  /** Task runs of each flow run (Running, then Completed). */
  taskRunsPerRun: number;
  /** Artifacts of each flow run, made by its task runs in turn. */
  artifactsPerRun?: number;
  /** Artifact keys. Default 1,000. */
  keys?: number;
  /** Every this many artifacts one has no key. Default 10 (1: none has a key). */
  unkeyedEvery?: number;
  days?: number;
  end?: Date;
  /** Flow runs per journal file (a journal is one process's). Default 200. */
  runsPerJournal?: number;
  /** Bytes of padding in each task run's parameters (to make a journal of a given size). */
  parameterBytes?: number;
  /** Every this many task runs one logs a line ("step <i> done"). Default: none. */
  logEvery?: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
/** A UUID-shaped id from a kind digit and a number: unique, sortable, no randomness (repeatable homes). */
export const bigId = (kind: number, n: number) => `${kind}${hex(Math.floor(n / 2 ** 32), 7)}-0000-4000-8000-${hex(n % 2 ** 32, 12)}`;

/** Writes the journals of `shape` into `home`/journal; returns their total size in bytes. */
export function writeHistory(home: string, shape: HistoryShape): number {
  const dir = journalDir(home);
  fs.mkdirSync(dir, { recursive: true });
  const days = shape.days ?? 365;
  const end = (shape.end ?? new Date("2025-06-30T00:00:00.000Z")).getTime();
  const step = (days * 86_400_000) / Math.max(1, shape.flowRuns);
  const perJournal = shape.runsPerJournal ?? 200;
  const keys = shape.keys ?? 1000;
  const unkeyedEvery = shape.unkeyedEvery ?? 10;
  const pad = "x".repeat(shape.parameterBytes ?? 0);
  let bytes = 0;
  let lines: string[] = [];
  let journal = 0;
  let taskRun = 0;
  let artifact = 0;
  const emit = (event: EngineEvent) => lines.push(encodeEvent(event));
  const flush = () => {
    emit({ e: "close", ts: new Date(end).toISOString() });
    const text = `${lines.join("\n")}\n`;
    // A finished journal of a process long gone: pid 1's name is never a live Flowline writer.
    fs.writeFileSync(path.join(dir, `1-${hex(journal++, 12)}.ndjson`), text);
    bytes += Buffer.byteLength(text);
    lines = [];
  };
  for (let r = 0; r < shape.flowRuns; r++) {
    const t0 = end - (shape.flowRuns - r) * step;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const flowRunId = bigId(1, r);
    emit({ e: "flow_run", id: flowRunId, name: `run-${r}`, flowName: `flow-${r % 50}`, parameters: { day: Math.floor(r / 50) }, tags: [], created: at(0), expectedStartTime: at(0), pid: 1 });
    emit({ e: "state", kind: "flow", id: flowRunId, type: "Running", name: "Running", ts: at(1) });
    const artifacts = shape.artifactsPerRun ?? 0;
    for (let t = 0; t < shape.taskRunsPerRun; t++) {
      const id = bigId(7, taskRun++);
      const created: TaskRunCreatedEvent = { e: "task_run", id, flowRunId, name: `step-${t}`, taskName: "step", parameters: pad ? { i: t, pad } : { i: t }, tags: [], created: at(2 + t) };
      // As JournalWriter writes them: the states that follow the creation directly go into its line.
      if (shape.logEvery && t % shape.logEvery === 0) {
        emit({ ...created, running: at(2 + t) });
        emit({ e: "log", flowRunId, taskRunId: id, level: "INFO", message: `step ${t} done`, ts: at(3 + t) });
        emit({ e: "state", kind: "task", id, type: "Completed", name: "Completed", ts: at(3 + t), runCount: 1 });
      } else emit({ ...created, running: at(2 + t), completed: at(3 + t) });
    }
    for (let a = 0; a < artifacts; a++) {
      const n = artifact++;
      const key = n % unkeyedEvery === unkeyedEvery - 1 ? undefined : `report-${n % keys}`;
      emit({ e: "artifact", id: bigId(10, n), key, type: "markdown", data: `# Report ${n}\n\nAll ${a} rows checked.`, description: `Report ${n}`, flowRunId, created: at(3 + a) });
    }
    emit({ e: "state", kind: "flow", id: flowRunId, type: "Completed", name: "Completed", ts: at(4 + shape.taskRunsPerRun) });
    if ((r + 1) % perJournal === 0) flush();
  }
  if (lines.length > 0) flush();
  return bytes;
}
