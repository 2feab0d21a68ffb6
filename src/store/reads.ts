import type { Database } from "sql.js";
import * as q from "./queries";
import type {
  Artifact,
  ArtifactKeySummary,
  ArtifactVersionsOptions,
  CacheEntry,
  FlowRun,
  FlowRunDetail,
  GetLogsOptions,
  ListArtifactsOptions,
  ListFlowRunsOptions,
  LogEntry,
  StateHistoryEntry,
  TaskRun,
} from "./types";

// The store's reads. They take no lock and do not fold: `current()` reloads the file first if another
// process replaced it since it was loaded (Store implements it).

export abstract class StoreReads {
  /** The loaded database, reloaded if the file changed. */
  protected abstract current(): Database;

  /** Flow runs, newest first. */
  listFlowRuns(opts?: ListFlowRunsOptions): FlowRun[] {
    return q.listFlowRuns(this.current(), opts);
  }

  /** A flow run by id or unique id prefix, with its task runs and subflow runs. Throws StoreLookupError. */
  getFlowRun(idOrPrefix: string): FlowRunDetail {
    return q.getFlowRun(this.current(), idOrPrefix);
  }

  getTaskRun(id: string): TaskRun | undefined {
    return q.getTaskRun(this.current(), id);
  }

  /** The states a flow run or task run went through, in order. */
  getStateHistory(runId: string): StateHistoryEntry[] {
    return q.getStateHistory(this.current(), runId);
  }

  /** Log lines of a flow run (its task runs' lines included), oldest first. */
  getLogs(opts: GetLogsOptions): LogEntry[] {
    return q.getLogs(this.current(), opts);
  }

  /** The cached result for a cache key, unless it has expired at `now`. */
  lookupCache(cacheKey: string, now: Date = new Date()): CacheEntry | undefined {
    return q.lookupCache(this.current(), cacheKey, now);
  }

  /** Artifacts, newest first. */
  listArtifacts(opts?: ListArtifactsOptions): Artifact[] {
    return q.listArtifacts(this.current(), opts);
  }

  /** All versions of a key, newest (the key's latest) first. */
  getArtifactVersions(key: string, opts?: ArtifactVersionsOptions): Artifact[] {
    return q.getArtifactVersions(this.current(), key, opts);
  }

  /** Each key with its number of versions and its latest version (without data unless asked), newest first. */
  listArtifactKeys(opts?: { type?: Artifact["type"]; includeData?: boolean }): ArtifactKeySummary[] {
    return q.listArtifactKeys(this.current(), opts);
  }

  getArtifact(id: string): Artifact | undefined {
    return q.getArtifact(this.current(), id);
  }

  /** An artifact by id or unique id prefix. Throws StoreLookupError (not found, ambiguous). */
  findArtifact(idOrPrefix: string): Artifact {
    return q.findArtifact(this.current(), idOrPrefix);
  }
}
