import * as fs from "node:fs";

// A database file that is not one (a bad header, pages SQLite cannot read): named with the reason.

export class CorruptDatabaseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`The Flowline database ${file} is damaged or not a SQLite file (${reason}).`);
    this.name = "CorruptDatabaseError";
  }
}

/** Renames a damaged database to `<file>.corrupt-<timestamp>` and returns the new path. */
export function moveAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let target = `${file}.corrupt-${stamp}`;
  for (let i = 1; fs.existsSync(target); i++) target = `${file}.corrupt-${stamp}-${i}`;
  fs.renameSync(file, target);
  return target;
}
