import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomicSync } from "../shared/atomic-write";
import { isAlive, parseWriterTag } from "../shared/process-identity";

// Whole-file reads and writes of the database. Writes go to a temp file in the same folder, are fsynced
// and renamed over the target, so a reader (which opens the path once) sees the old or the new file,
// never half of one.

/**
 * Identifies one version of a file. Every write renames a fresh file into place, so the inode, change time
 * and size move; nanosecond times make two writes in the same millisecond distinguishable.
 */
export type FileSignature = string;

export const MISSING: FileSignature = "missing";

function signatureOf(st: fs.BigIntStats): FileSignature {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export function fileSignature(file: string): FileSignature {
  try {
    return signatureOf(fs.statSync(file, { bigint: true }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return MISSING;
    throw err;
  }
}

/** Reads a file and the signature of exactly the version read (fstat on the same descriptor). */
export function readFileWithSignature(file: string): { bytes: Uint8Array; signature: FileSignature } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const bytes = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return { bytes: bytes.subarray(0, done), signature: signatureOf(st) };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes the temp files in `dir` whose names start with one of `prefixes` and then a writer tag
 * (writerTag) of a process that is gone: leftovers of writers killed mid-write. A live writer's file is
 * never touched. Call it under the lock.
 */
export function removeDeadWritersTemps(dir: string, prefixes: string[]): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    const writer = prefix === undefined ? undefined : parseWriterTag(name.slice(prefix.length));
    if (!writer) continue;
    const file = path.join(dir, name);
    try {
      if (isAlive(writer, fs.statSync(file).mtimeMs)) continue;
      fs.unlinkSync(file);
      removed++;
    } catch {
      // another process cleaned it first
    }
  }
  return removed;
}

/**
 * The file that writes to `file` must replace: `file` itself, or the end of its chain of symbolic links (a
 * symlinked flowline.db is written through, and stays a link). A link to a missing file names the file to make.
 */
export function writeTarget(file: string): string {
  let current = file;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      link = fs.readlinkSync(current);
    } catch {
      return current; // not a link (or missing): this is the file
    }
    current = path.resolve(path.dirname(current), link);
  }
  return current;
}

/** Writes `bytes` to `file` atomically and durably (file and folder fsynced); returns the new file's signature. */
export function writeFileAtomic(file: string, bytes: Uint8Array, exclusive = false): FileSignature {
  writeFileAtomicSync(writeTarget(file), bytes, { fsync: true, exclusive });
  return fileSignature(file);
}
