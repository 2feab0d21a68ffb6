import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

export interface AtomicWriteOptions {
  /** Flush the file (and, where the platform allows, its folder) to disk before returning. */
  fsync?: boolean;
}

/**
 * Writes `data` to `file` so that a reader sees the old file or the new one, never half of one: the data
 * goes to a temp file in the same folder (so the rename stays on one filesystem) and is renamed over the
 * target. On any error the temp file is removed and the error rethrown.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  // Short enough for a 255-byte name limit whatever the target's name; pid + a per-process random prefix
  // + a counter keep writers apart without asking the OS for randomness on every write.
  const tmp = path.join(dir, `${tempFilePrefix(file)}${process.pid}-${TMP_PREFIX}${(tmpCounter++).toString(36)}`);
  let fd: number | undefined;
  try {
    fd = openCreatingFolder(tmp, dir);
    fs.writeFileSync(fd, data);
    if (options.fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    renameWithRetry(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already renamed: nothing to remove
    }
    throw err;
  }
  if (options.fsync) fsyncFolder(dir);
}

const TMP_PREFIX = randomBytes(4).toString("hex");

/** How the temp files of writes to `file` begin (then `<pid>-…`), so a cleaner can find a dead writer's. */
export function tempFilePrefix(file: string): string {
  return `.${path.basename(file).slice(0, 80)}.tmp-`;
}
let tmpCounter = 0;

/** Opens a new file, making its folder only when it is missing (the common case needs no mkdir). */
function openCreatingFolder(file: string, dir: string): number {
  try {
    return fs.openSync(file, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    fs.mkdirSync(dir, { recursive: true });
    return fs.openSync(file, "wx");
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // the write already failed; that error is the one to report
  }
}

/** On Windows a rename over a file another process has open fails for a moment (EPERM/EBUSY): retry. */
function renameWithRetry(from: string, to: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(from, to);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (process.platform !== "win32" || attempt >= 20 || (code !== "EPERM" && code !== "EBUSY" && code !== "EACCES")) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 * (attempt + 1));
    }
  }
}

/** Makes the rename itself durable. Some platforms cannot open a folder (Windows): then skip. */
function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}
