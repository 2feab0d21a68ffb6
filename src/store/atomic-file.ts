import * as fs from "node:fs";
import * as path from "node:path";
import { tempFilePrefix, writeFileAtomicSync } from "../engine/atomic-write";
import { isProcessAlive } from "./lock";

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
 * Removes temp files left next to `file` by writers that were killed mid-write (their pid is gone).
 * Call it under the lock: a live writer's temp file is never touched.
 */
export function removeDeadWritersTempFiles(file: string): void {
  const dir = path.dirname(file);
  const prefix = tempFilePrefix(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
    } catch {
      // another process cleaned it first
    }
  }
}

/** Writes `bytes` to `file` atomically and durably (file and folder fsynced); returns the new file's signature. */
export function writeFileAtomic(file: string, bytes: Uint8Array): FileSignature {
  writeFileAtomicSync(file, bytes, { fsync: true });
  return fileSignature(file);
}
