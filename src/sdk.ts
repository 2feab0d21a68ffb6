// The `flowline` module as flow files see it (dist/flowline.js): the engine's SDK and the runner's child
// entry. Nothing here loads the store: cache lookups read the home's cache index files (engine/cache-index).
import { childMain } from "./runner/child";

export * from "./engine/index";

/** @internal The runner's child process entry (dist/child.js calls it). */
export const __flowlineChildMain = childMain;

/** @internal `flowline worker` (team mode): loaded by the CLI from this bundle, so user files share this engine. */
export function __flowlineWorkerMain(enginePath: string, options: import("./runner/team-worker").WorkerOptions): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("./runner/team-worker") as typeof import("./runner/team-worker")).workerMain(enginePath, options);
}
