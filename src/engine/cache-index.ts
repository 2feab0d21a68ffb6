import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomicSync, type Durability } from "../shared/atomic-write";

// The cache index of a Flowline home: one small JSON file per cache key under <home>/cache/keys/, written
// when a task persists a cached result and read by any later run in any process. A lookup reads one file:
// no database is loaded and nothing has to be folded first.

export interface CacheIndexEntry {
  cacheKey: string;
  storageKey: string;
  taskRunId?: string;
  created: string;
  /** ISO time; absent for no expiry. */
  expiresAt?: string;
}

export function cacheKeysDir(home: string): string {
  return path.join(home, "cache", "keys");
}

function entryFile(home: string, cacheKey: string): string {
  return path.join(cacheKeysDir(home), `${createHash("sha256").update(cacheKey).digest("hex").slice(0, 40)}.json`);
}

export function writeCacheEntry(home: string, entry: CacheIndexEntry, durability?: Durability): void {
  writeFileAtomicSync(entryFile(home, entry.cacheKey), JSON.stringify(entry), { durability });
}

function parseEntry(text: string): CacheIndexEntry | undefined {
  try {
    const v = JSON.parse(text) as Partial<CacheIndexEntry>;
    if (typeof v.cacheKey === "string" && typeof v.storageKey === "string" && typeof v.created === "string") return v as CacheIndexEntry;
  } catch {
    // not an entry
  }
  return undefined;
}

function live(entry: CacheIndexEntry, now: Date): boolean {
  return entry.expiresAt === undefined || Date.parse(entry.expiresAt) > now.getTime();
}

/** The unexpired entry for `cacheKey`, if any (a file that is not an entry for exactly this key is none). */
export function readCacheEntry(home: string, cacheKey: string, now: Date): CacheIndexEntry | undefined {
  let text: string;
  try {
    text = fs.readFileSync(entryFile(home, cacheKey), "utf8");
  } catch {
    return undefined;
  }
  const entry = parseEntry(text);
  return entry && entry.cacheKey === cacheKey && live(entry, now) ? entry : undefined;
}

/** The storage keys that unexpired cache entries point at (result files a later run may reuse). */
export function liveCacheStorageKeys(home: string, now: Date): Set<string> {
  const keys = new Set<string>();
  let names: string[];
  try {
    names = fs.readdirSync(cacheKeysDir(home));
  } catch {
    return keys;
  }
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    try {
      const entry = parseEntry(fs.readFileSync(path.join(cacheKeysDir(home), name), "utf8"));
      if (entry && live(entry, now)) keys.add(entry.storageKey);
    } catch {
      // removed meanwhile
    }
  }
  return keys;
}
