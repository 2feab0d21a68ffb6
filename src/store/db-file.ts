import * as fs from "node:fs";

// A database file that is not one (a bad header, pages SQLite cannot read): named with the reason, and
// kept aside when it is replaced.

export class CorruptDatabaseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`The Flowline database ${file} is damaged or not a SQLite file (${reason}).`);
    this.name = "CorruptDatabaseError";
  }
}

/**
 * Keeps a damaged database as `<file>.corrupt-<timestamp>` (a hard link, else a copy) and returns that path.
 * The damaged file itself stays in place until the salvaged database is renamed over it, so no reader
 * ever finds no database at all.
 */
export function keepAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  for (let i = 0; ; i++) {
    const target = i === 0 ? `${file}.corrupt-${stamp}` : `${file}.corrupt-${stamp}-${i}`;
    try {
      fs.linkSync(file, target);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS" && code !== "EXDEV") throw err;
    }
    try {
      fs.copyFileSync(file, target, fs.constants.COPYFILE_EXCL); // a file system without hard links
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** Renames a damaged database to `<file>.corrupt-<timestamp>` and returns the new path. */
export function moveAside(file: string): string {
  const aside = keepAside(file);
  fs.unlinkSync(file);
  return aside;
}
