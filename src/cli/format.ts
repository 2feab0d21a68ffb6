import type { Artifact, FlowRun, TaskRun } from "../store";

// How the CLI shows runs and artifacts: the JSON shapes of SPEC §6 and plain-text tables.

export function flowRunJson(run: FlowRun): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    flowName: run.flowName,
    state: run.state.type,
    stateName: run.state.name,
    stateMessage: run.state.message,
    parameters: run.parameters,
    tags: run.tags,
    parentFlowRunId: run.parentFlowRunId,
    runCount: run.runCount,
    created: run.created,
    startTime: run.startTime,
    endTime: run.endTime,
    durationSeconds: durationSeconds(run.startTime, run.endTime),
    resultKey: run.resultKey,
    file: run.file,
  };
}

export function taskRunJson(run: TaskRun): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    taskName: run.taskName,
    state: run.state.type,
    stateName: run.state.name,
    stateMessage: run.state.message,
    parameters: run.parameters,
    tags: run.tags,
    flowRunId: run.flowRunId,
    runCount: run.runCount,
    cacheKey: run.cacheKey,
    created: run.created,
    startTime: run.startTime,
    endTime: run.endTime,
    durationSeconds: durationSeconds(run.startTime, run.endTime),
    resultKey: run.resultKey,
  };
}

export function artifactJson(a: Artifact): Record<string, unknown> {
  return {
    id: a.id,
    key: a.key ?? null,
    type: a.type,
    description: a.description ?? null,
    data: a.data,
    flowRunId: a.flowRunId ?? null,
    taskRunId: a.taskRunId ?? null,
    created: a.created,
  };
}

function durationSeconds(start?: string, end?: string): number | undefined {
  if (!start) return undefined;
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  return Math.round(ms) / 1000;
}

export function formatDuration(start?: string, end?: string): string {
  const s = durationSeconds(start, end);
  if (s === undefined) return "-";
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

export function formatTime(iso?: string): string {
  if (!iso) return "-";
  return iso.replace("T", " ").slice(0, 19);
}

/** A plain text table with a header row; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
