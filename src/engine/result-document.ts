import { createHash } from "node:crypto";
import { customSerializer, jsonSerializer, ResultFormatError, type Serializer, type UserSerializer } from "./serializer";
import { FLOWLINE_VERSION } from "../shared/version";

// The result file: one human-readable JSON document holding what a serializer made of the value. A result
// stored for a cache key also carries that key and a digest of its data: two inputs may share one storage
// key (a fixed resultStorageKey), and the file may be replaced after the cache index recorded it, so a cache
// lookup trusts the file only when it says it is the result of the very key looked up (Prefect 3 ties its
// cache to the record for the same reason).

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The text of a result file; with `cacheKey`, stamped with the key and a digest of the data. */
export function resultDocument(value: unknown, serializer: Serializer = jsonSerializer, cacheKey?: string): string {
  const type = { type: serializer.type };
  const data = serializer.dumps(value);
  const doc =
    cacheKey === undefined
      ? { serializer: type, data, flowlineVersion: FLOWLINE_VERSION }
      : { serializer: type, cacheKey, digest: digestOf(data), data, flowlineVersion: FLOWLINE_VERSION };
  return JSON.stringify(doc, null, 2) + "\n";
}

/** Reads a result file's text back into its value. `source` (a path) makes error messages specific. */
export function readResultDocument(text: string, userSerializer?: UserSerializer, source = "The file"): unknown {
  return decodeData(parseDocument(text, source), userSerializer, source);
}

/** A cache lookup's answer from the file at the storage key the index gave: the value, or why it is not. */
export type CachedRead = { hit: true; value: unknown } | { hit: false; why: string };

/**
 * The value in a result file if it was stored for `cacheKey` and its data is as written; else why not.
 * A file that is not a Flowline result is a miss too. Data a serializer cannot decode still throws.
 */
export function readCachedResultDocument(text: string, cacheKey: string, userSerializer: UserSerializer | undefined, source: string): CachedRead {
  let rec: Record<string, unknown>;
  try {
    rec = parseDocument(text, source);
  } catch (err) {
    if (err instanceof ResultFormatError) return { hit: false, why: err.message.replace(/\.$/, "") };
    throw err;
  }
  if (typeof rec.cacheKey !== "string") {
    return { hit: false, why: `${source} was not stored for a cache key (a task without cacheKeyFn, an older Flowline, or a hand-made file wrote it)` };
  }
  if (rec.cacheKey !== cacheKey) {
    return {
      hit: false,
      why:
        `${source} holds the result of another cache key: two inputs share this storage key and overwrite each other's ` +
        `result; put the inputs into resultStorageKey (e.g. "{parameters.x}") to give each its own file`,
    };
  }
  if (rec.digest !== digestOf(rec.data)) return { hit: false, why: `${source} does not match its digest: the file was changed after it was written` };
  return { hit: true, value: decodeData(rec, userSerializer, source) };
}

function digestOf(data: unknown): string {
  return `sha256:${createHash("sha256").update(JSON.stringify(data) ?? "").digest("hex")}`;
}

function parseDocument(text: string, source: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ResultFormatError(`${source} is not a Flowline result: it is not JSON (${(err as Error).message}).`);
  }
  const rec = (typeof doc === "object" && doc !== null && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  const ser = rec.serializer as { type?: unknown } | undefined;
  if (typeof ser !== "object" || ser === null || typeof ser.type !== "string" || !hasOwn(rec, "data") || typeof rec.flowlineVersion !== "string") {
    const hint = hasOwn(rec, "prefect_version") ? " It looks like a Prefect result file." : "";
    throw new ResultFormatError(
      `${source} is not a Flowline result: expected {"serializer":{"type":...},"data":...,"flowlineVersion":...}.${hint}`,
    );
  }
  return rec;
}

function decodeData(rec: Record<string, unknown>, userSerializer: UserSerializer | undefined, source: string): unknown {
  const type = (rec.serializer as { type: string }).type;
  if (type === "json") return jsonSerializer.loads(rec.data);
  if (type === "custom") {
    if (userSerializer === undefined) {
      throw new ResultFormatError(
        `${source} was written with a custom resultSerializer; reading it needs the same serializer (an object with dumps and loads).`,
      );
    }
    return customSerializer(userSerializer).loads(rec.data);
  }
  throw new ResultFormatError(
    `${source} was written with the ${JSON.stringify(type)} serializer, which is not available (Flowline reads "json", and "custom" given the task's resultSerializer).`,
  );
}
