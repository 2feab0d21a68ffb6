import type { Database } from "sql.js";

// Artifact mutations that must keep `artifact_latest` (the latest version of each key) true. Inserts keep it
// by themselves (a trigger, schema v3); whatever removes artifact rows calls refreshLatest for the keys it
// touched, in the same transaction, so that the next newest version becomes the latest.

/** Recomputes the latest version (stored last) and the count of each key (removing a key with no versions left). */
export function refreshLatest(db: Database, keys: Iterable<string>): void {
  const drop = db.prepare("DELETE FROM artifact_latest WHERE key = ?1");
  const pick = db.prepare(`INSERT INTO artifact_latest (key, seq, created, versions)
    SELECT key, seq, created, (SELECT count(*) FROM artifacts WHERE key = ?1) FROM artifacts WHERE key = ?1
    ORDER BY seq DESC LIMIT 1`);
  try {
    for (const key of keys) {
      drop.run([key]);
      pick.run([key]);
    }
  } finally {
    drop.free();
    pick.free();
  }
}

/** Deletes one artifact version. Returns false when there is none with that id. */
export function deleteArtifact(db: Database, id: string): boolean {
  const key = db.exec("SELECT key FROM artifacts WHERE id = ?", [id])[0]?.values[0]?.[0];
  db.run("DELETE FROM artifacts WHERE id = ?", [id]);
  const deleted = db.getRowsModified() > 0;
  if (deleted && typeof key === "string") refreshLatest(db, [key]);
  return deleted;
}

/** Deletes every version of a key. Returns how many were deleted. */
export function deleteArtifactKey(db: Database, key: string): number {
  db.run("DELETE FROM artifacts WHERE key = ?", [key]);
  const n = db.getRowsModified();
  if (n > 0) refreshLatest(db, [key]);
  return n;
}
