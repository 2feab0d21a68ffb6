import type { StoreApi } from "../store/api";
import type { Artifact } from "../store/types";

// What the Flow Runs tree and the run commands read in the store's worker thread (store-extras.ts): a
// run's artifacts can number as many as its task runs, so they are filtered there, and only those of the
// task runs on screen cross to the extension host.

/** The artifacts (without data) of a flow run itself and of the given task runs of it, newest first. */
export async function runArtifacts(store: StoreApi, flowRunId: string, taskRunIds: string[]): Promise<Artifact[]> {
  const shown = new Set(taskRunIds);
  const all = await store.listArtifacts({ flowRunId, includeData: false });
  return all.filter((a) => a.taskRunId === undefined || shown.has(a.taskRunId));
}

export interface StoredResult {
  name: string;
  /** `flow <name>` or `task <name>`. */
  what: string;
  resultKey: string;
}

/** Runs with a stored result among the latest `runs` flow runs and their first task runs, at most `max`. */
export async function recentResults(store: StoreApi, runs: number, max: number): Promise<StoredResult[]> {
  const out: StoredResult[] = [];
  for (const run of await store.listFlowRuns({ limit: runs })) {
    if (run.resultKey) out.push({ name: run.name, what: `flow ${run.flowName}`, resultKey: run.resultKey });
    if (run.taskRunCounts.total === 0) continue;
    for (const t of await store.listTaskRuns(run.id, { limit: max })) {
      if (t.resultKey) out.push({ name: t.name, what: `task ${t.taskName}`, resultKey: t.resultKey });
      if (out.length >= max) return out;
    }
  }
  return out.slice(0, max);
}

/** Where a task run is among its flow run's task runs (creation order), or -1. */
export async function taskRunIndex(store: StoreApi, flowRunId: string, taskRunId: string): Promise<number> {
  const PAGE = 1000;
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listTaskRuns(flowRunId, { offset, limit: PAGE });
    const i = page.findIndex((t) => t.id === taskRunId);
    if (i >= 0) return offset + i;
    if (page.length < PAGE) return -1;
  }
}
