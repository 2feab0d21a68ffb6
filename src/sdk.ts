// The `flowline` module as flow files see it (dist/flowline.js): the engine's SDK and the runner's child
// entry. Nothing here loads the store: cache lookups read the home's cache index files (engine/cache-index).
import { childMain } from "./runner/child";

export * from "./engine/index";

/** @internal The runner's child process entry (dist/child.js calls it). */
export const __flowlineChildMain = childMain;
