import { createHash } from "node:crypto";
import { readCacheEntry, writeCacheEntry } from "./cache-index";
import { engineConfig } from "./config";
import type { AnyFunction } from "./params";

export interface TaskCacheContext {
  readonly task: { readonly name: string; readonly fn: AnyFunction };
  readonly flowRun: { readonly id: string; readonly name: string; readonly flowName: string; readonly parameters: Record<string, unknown> };
  readonly taskRun: { readonly id: string; readonly name: string; readonly taskName: string };
}

/** JSON with sorted keys and tagged special values, so equal inputs hash equally in any process. */
function stableStringify(value: unknown, seen = new Set<object>()): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") return `{"$bigint":"${value}"}`;
    if (value === undefined) return '{"$undefined":1}';
    if (typeof value === "function") return `{"$fn":${JSON.stringify(value.toString())}}`;
    if (typeof value === "number" && !Number.isFinite(value)) return `{"$num":"${value}"}`;
    return JSON.stringify(value) ?? "null";
  }
  if (seen.has(value)) throw new Error("taskInputHash cannot hash a circular value; pass a cacheKeyFn that builds the key itself.");
  seen.add(value);
  try {
    if (value instanceof Date) return `{"$date":"${value.toISOString()}"}`;
    if (ArrayBuffer.isView(value)) return `{"$bytes":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")}"}`;
    if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, seen)).join(",")}]`;
    if (value instanceof Map) return `{"$map":${stableStringify([...value.entries()], seen)}}`;
    if (value instanceof Set) return `{"$set":${stableStringify([...value], seen)}}`;
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k], seen)}`).join(",")}}`;
  } finally {
    seen.delete(value);
  }
}

/**
 * Prefect's `task_input_hash`: a key from the task's name, its code and its inputs. Use it as
 * `cacheKeyFn: taskInputHash` so a task with the same inputs reuses its earlier result.
 */
export function taskInputHash(context: TaskCacheContext, parameters: Record<string, unknown>): string {
  return createHash("sha256")
    .update(context.task.name)
    .update("\0")
    .update(context.task.fn.toString())
    .update("\0")
    .update(stableStringify(parameters))
    .digest("hex")
    .slice(0, 32);
}

interface LocalEntry {
  storageKey: string;
  expiresAt: number | undefined;
}

// Entries this process wrote: found without reading a file.
const local = new Map<string, LocalEntry>();

/**
 * Records that `storageKey` holds the result for `cacheKey`: in this process, and in the home's cache
 * index (cache-index.ts), where any later run in any process finds it.
 */
export function rememberCacheEntry(cacheKey: string, storageKey: string, expiresAt: Date | undefined, taskRunId?: string): void {
  local.set(cacheKey, { storageKey, expiresAt: expiresAt?.getTime() });
  const config = engineConfig();
  const entry = { cacheKey, storageKey, taskRunId, created: new Date().toISOString(), expiresAt: expiresAt?.toISOString() };
  if (config.cacheIndex) void config.cacheIndex.remember(entry).catch(() => undefined);
  else writeCacheEntry(config.home, entry, config.durability);
}

/** The storage key of an unexpired result for `cacheKey`, from this process or any earlier run. */
export async function findCachedResult(cacheKey: string, now: Date): Promise<string | undefined> {
  const mine = local.get(cacheKey);
  if (mine && (mine.expiresAt === undefined || mine.expiresAt > now.getTime())) return mine.storageKey;
  const config = engineConfig();
  if (config.cacheIndex) return (await config.cacheIndex.lookup(cacheKey, now))?.storageKey;
  return readCacheEntry(config.home, cacheKey, now)?.storageKey;
}
