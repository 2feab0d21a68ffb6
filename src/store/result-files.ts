import * as fs from "node:fs";
import * as path from "node:path";
import { storageDir } from "../shared/home";
import { liveCacheStorageKeys } from "../engine/cache-index";

// `prune --results`: the result files of pruned runs go too, except those a cache entry that has not
// expired still points at (a later run may reuse them). Only files inside the storage folder are touched.

export function deletePrunedResults(home: string, resultKeys: Iterable<string>, now: Date): number {
  const root = path.resolve(storageDir(home));
  const keep = liveCacheStorageKeys(home, now);
  let deleted = 0;
  for (const key of resultKeys) {
    if (keep.has(key)) continue;
    const file = path.resolve(root, key);
    if (file !== root && !file.startsWith(root + path.sep)) continue; // never outside the storage folder
    try {
      if (!fs.lstatSync(file).isFile()) continue;
      fs.unlinkSync(file);
      deleted++;
    } catch {
      // already gone
    }
  }
  return deleted;
}
