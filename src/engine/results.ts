import * as fs from "node:fs";
import { randomUUID } from "node:crypto";
import { storageDir, storageTempDir } from "./home";
import { writeFileAtomicSync } from "./atomic-write";
import { engineConfig } from "./config";
import { readResultDocument, resolveSerializer, resultDocument } from "./serializer";
import { renderStorageKey, resolveStoragePath } from "./storage-key";
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
  owner: "task" | "flow" = "task",
): string {
  const key = template === undefined ? randomStorageKey() : renderStorageKey(template, { parameters, flowRun: runtime.flowRun, taskRun: runtime.taskRun, owner });
  const file = resolveStoragePath(storageDir(home), key, template);
  // Temp files in one folder, which the store empties of killed writers' leftovers; flushed per FLOWLINE_DURABILITY.
  writeFileAtomicSync(file, resultDocument(value, resolveSerializer(serializer)), { durability: engineConfig().durability, tempDir: storageTempDir(home) });
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
  const file = resolveStoragePath(storageDir(home), key);
  const userSerializer = typeof serializer === "object" ? serializer : undefined;
  return readResultDocument(fs.readFileSync(file, "utf8"), userSerializer, file);
}
