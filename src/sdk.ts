// The `flowline` module as flow files see it (dist/flowline.js): the engine's SDK, a cache index backed
// by the store (loaded only when a cached task first looks something up), and the runner's child entry.
import { setDefaultCacheIndex, type CacheHit } from "./engine/config";
import { childMain } from "./runner/child";
import { openFlowlineStore } from "./runner/open-store";
import type { Store } from "./store";

export * from "./engine/index";

let store: { home: string; promise: Promise<Store> } | undefined;

setDefaultCacheIndex(async (home: string, cacheKey: string, now: Date): Promise<CacheHit | undefined> => {
  // Opened on first use only: most flows never look a cache key up, and sql.js costs start-up time.
  if (!store || store.home !== home) store = { home, promise: openFlowlineStore(home) };
  const opened = await store.promise;
  await opened.sync();
  const hit = opened.lookupCache(cacheKey, now);
  return hit ? { storageKey: hit.storageKey } : undefined;
});

/** @internal The runner's child process entry (dist/child.js calls it). */
export const __flowlineChildMain = childMain;
