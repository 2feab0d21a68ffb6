import { configureEngine, engineConfig, type EngineSink } from "../engine/config";
import { DistributedTasks } from "./distributed";
import type { ResultStorage } from "../engine/result-storage";
import { FolderResults } from "./folder-results";
import { PgCacheIndex, PgResults, PgSink } from "./pg-sink";
import { PgWriter } from "./pg-writer";
import { resultsLocation } from "./team-config";

// Team mode for a process that runs flows or tasks (the runner's child, a worker): the engine writes to
// PostgreSQL instead of the home's journal, cache index and storage folder.

export interface TeamEngine {
  sink: PgSink;
  writer: PgWriter;
}

/** Configures the engine of this process for team mode; `wrap` may wrap the sink (the child's tracking). */
export function configureTeamEngine(
  home: string,
  url: string,
  onFlush: ((lines: string) => void) | undefined,
  onError: (err: Error) => void,
  wrap: (sink: PgSink) => EngineSink = (s) => s,
  /** The flow file this process runs flows of: its distributed flows send task runs to that file's queue. */
  flowFile?: string,
): TeamEngine {
  const writer = new PgWriter(url, onError);
  const sink = new PgSink(writer, onFlush);
  const where = resultsLocation(url);
  const results: ResultStorage = where.kind === "folder" ? new FolderResults(where.folder) : new PgResults(url, writer);
  const remoteTasks = flowFile === undefined ? undefined : new DistributedTasks(url, flowFile, () => engineConfig().sink);
  configureEngine({ home, sink: wrap(sink), consoleLogs: false, cacheIndex: new PgCacheIndex(url, writer), results, durability: "run", remoteTasks });
  return { sink, writer };
}
