import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import { storageDir, storageTempDir } from "../shared/home";
import { writeFileAtomicSync } from "../shared/atomic-write";
import { engineConfig } from "./config";
import { resolveSerializer, type UserSerializer } from "./serializer";
import { readCachedResultDocument, readResultDocument, resultDocument, type CachedRead } from "./result-document";
import { keyTooLongHere, renderStorageKey, resolveStoragePath } from "./storage-key";
import { runtime } from "./runtime";

export type SerializerOption = Parameters<typeof resolveSerializer>[0];

/** A random storage key, as Prefect's default (`uuid4().hex`). */
export function randomStorageKey(): string {
  return randomUUID().replace(/-/g, "");
}

/**
 * Renders the key (inside the run's async context, so runtime fields and their overrides apply) and
 * writes the result there atomically. Throws StorageKeyError, having written nothing, when the key
 * is invalid or would leave the storage folder.
 */
export function persistValue(
  home: string,
  value: unknown,
  template: string | undefined,
  parameters: Record<string, unknown>,
  serializer: SerializerOption,
  how: { owner?: "task" | "flow"; cacheKey?: string } = {},
): string {
  const scope = { parameters, flowRun: runtime.flowRun, taskRun: runtime.taskRun, owner: how.owner ?? "task" };
  const key = template === undefined ? randomStorageKey() : renderStorageKey(template, scope);
  const text = resultDocument(value, resolveSerializer(serializer), how.cacheKey);
  const shared = engineConfig().results;
  if (shared) {
    resolveStoragePath(storageDir(home), key, template); // the same checks of the key, wherever it is kept
    shared.write(key, text);
    return key;
  }
  try {
    // Temp files in one folder, which the store empties of killed writers' leftovers; flushed per FLOWLINE_DURABILITY.
    writeFileAtomicSync(resolveStoragePath(storageDir(home), key, template), text, { durability: engineConfig().durability, tempDir: storageTempDir(home) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENAMETOOLONG") throw keyTooLongHere(key, template);
    throw err;
  }
  return key;
}

/** Persists a failure's error at a random key: a failure never overwrites a stored success. */
export function persistFailure(home: string, error: unknown, serializer: SerializerOption): string | undefined {
  try {
    return persistValue(home, error, undefined, {}, serializer);
  } catch {
    return undefined; // an error that cannot be stored must not hide the failure itself
  }
}

export function loadValue(home: string, key: string, serializer: SerializerOption): unknown {
  const shared = engineConfig().results;
  const text = shared?.readLocal(key);
  if (text !== undefined) return readResultDocument(text, userSerializerOf(serializer), `${shared!.where} result ${key}`);
  const file = resolveStoragePath(storageDir(home), key);
  return readResultDocument(fs.readFileSync(file, "utf8"), userSerializerOf(serializer), file);
}

/** The result at `key` if it was stored for `cacheKey` (see result-document.ts); else why it is not used. */
export function loadCachedValue(home: string, key: string, cacheKey: string, serializer: SerializerOption): CachedRead | Promise<CachedRead> {
  const shared = engineConfig().results;
  if (shared) {
    return shared.read(key).then((text) => readCachedResultDocument(text, cacheKey, userSerializerOf(serializer), `The result at storage key ${JSON.stringify(key)}`));
  }
  const file = resolveStoragePath(storageDir(home), key);
  return readCachedResultDocument(fs.readFileSync(file, "utf8"), cacheKey, userSerializerOf(serializer), `The result at storage key ${JSON.stringify(key)}`);
}

function userSerializerOf(serializer: SerializerOption): UserSerializer | undefined {
  return typeof serializer === "object" ? serializer : undefined;
}
