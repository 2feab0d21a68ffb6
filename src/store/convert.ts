import { storedCounts, type ReplayedLog, type TaskRecord } from "./records";
import type { ArtifactRow, FlowRow, Segment } from "./segment";
import { parseJson } from "./sql";
import type { Artifact, FlowRun, LogEntry, TaskRun } from "./types";

// From stored rows and records to the shapes the store returns (types.ts). Absent values are undefined,
// never null, so they disappear from JSON output.

export function flowRunOf(r: FlowRow): FlowRun {
  return {
    id: r.id,
    name: r.name,
    flowName: r.flowName,
    parameters: r.parameters,
    tags: r.tags,
    parentFlowRunId: r.parentFlowRunId,
    parentTaskRunId: r.parentTaskRunId,
    state: { type: r.type, name: r.stateName, message: r.message },
    runCount: r.runCount,
    created: r.created,
    expectedStartTime: r.expectedStartTime,
    startTime: r.start,
    endTime: r.end,
    resultKey: r.resultKey,
    result: r.resultJson !== undefined ? parseJson(r.resultJson) : undefined,
    file: r.file,
    pid: r.pid,
    taskRunCounts: { total: r.taskRuns, byState: storedCounts(r.taskStates) },
  };
}

export function taskRunOf(flowRunId: string, t: TaskRecord): TaskRun {
  return {
    id: t.id,
    flowRunId,
    name: t.name,
    taskName: t.taskName,
    parameters: t.parameters ?? {},
    tags: t.tags ?? [],
    cacheKey: t.cacheKey,
    state: { type: t.type, name: t.stateName, message: t.message },
    runCount: t.runCount,
    created: t.created,
    startTime: t.start,
    endTime: t.end,
    resultKey: t.resultKey,
  };
}

export function logEntryOf(flowRunId: string, l: ReplayedLog): LogEntry {
  return { seq: l.seq, flowRunId, taskRunId: l.taskRunId, level: l.level, message: l.message, timestamp: l.ts };
}

/** An artifact row as returned; its data is read from the payload file when `withData` and it is there. */
export function artifactOf(seg: Segment, a: ArtifactRow, withData: boolean): Artifact {
  let data: unknown;
  if (withData) data = a.data !== undefined ? parseJson(a.data) : a.ref ? seg.readJson(a.ref) : undefined;
  return {
    id: a.id,
    key: a.key,
    type: a.type,
    description: a.description,
    data,
    flowRunId: a.flowRunId,
    taskRunId: a.taskRunId,
    created: a.created,
    updated: a.updated,
    seq: a.seq,
  };
}
