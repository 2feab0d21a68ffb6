import * as fs from "node:fs";
import * as path from "node:path";
import { distinctHex, writerTag } from "./process-identity";

/**
 * How much a write promises across power loss (FLOWLINE_DURABILITY):
 * - "run" (default): on disk once the run that wrote it is reported finished (syncDeferredWrites());
 * - "fsync": on disk before the call that wrote it returns, like SQLite's synchronous=FULL.
 */
export type Durability = "run" | "fsync";

export interface AtomicWriteOptions {
  /** Flush the file (and, where the platform allows, its folder) to disk before returning. */
  fsync?: boolean;
  /**
   * "fsync" is `fsync: true`. "run" defers the flush to syncDeferredWrites(), except that a file replacing
   * an existing one is flushed before the rename: power loss never leaves half a file where a whole one was.
   */
  durability?: Durability;
  /** Folder for the temp file, on the target's file system (see storageTempDir); default: the target's. */
  tempDir?: string;
  /**
   * Never replace an existing file: the write fails with EEXIST instead (the temp file is linked into place,
   * which, unlike a rename, does not overwrite). For files whose names must each be written once.
   */
  exclusive?: boolean;
}

/**
 * Writes `data` to `file` so that a reader sees the old file or the new one, never half of one: the data
 * goes to a temp file on the same file system and is renamed over the target. The temp file's name starts
 * with its writer's pid and start time (writerTag), so a cleaner can remove those of killed writers. On any
 * error the temp file is removed and the error rethrown.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const now = options.fsync === true || options.durability === "fsync";
  const deferred = !now && options.durability === "run";
  // The folders whose entries this write changes: the target's, and any it had to create with their parents.
  const folders = new Set([path.dirname(file)]);
  try {
    writeVia(options.tempDir ? tempPathIn(options.tempDir, file) : tempPath(file), file, data, now || (deferred && fs.existsSync(file)), folders, options.exclusive);
  } catch (err) {
    // A temp folder on another file system than the target (a mount inside storage/): write beside it.
    if (!options.tempDir || (err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    writeVia(tempPath(file), file, data, now || deferred, folders, options.exclusive);
  }
  if (now) for (const dir of folders) fsyncFolder(dir);
  else if (deferred) {
    deferredFiles.add(file);
    for (const dir of folders) deferredFolders.add(dir);
    // A process that runs flows in itself for long (no runner to end its runs) must not keep paths forever.
    if (deferredFiles.size >= MAX_DEFERRED) syncDeferredWrites();
  }
}

const MAX_DEFERRED = 4096;

function writeVia(tmp: string, file: string, data: string | Uint8Array, syncFirst: boolean, folders: Set<string>, exclusive = false): void {
  let fd: number | undefined;
  try {
    fd = openCreatingFolder(tmp, path.dirname(tmp), path.dirname(tmp) === path.dirname(file) ? folders : new Set());
    fs.writeFileSync(fd, data);
    if (syncFirst) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (exclusive) {
      linkExclusive(tmp, file); // EEXIST when the name is taken; the catch below removes the temp name
      return;
    }
    try {
      renameWithRetry(tmp, file);
    } catch (err) {
      // The temp file lives in another folder: the target's may not exist yet (checked only now, as it is rare).
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || path.dirname(tmp) === path.dirname(file)) throw err;
      makeFolder(path.dirname(file), folders);
      renameWithRetry(tmp, file);
    }
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already renamed: nothing to remove
    }
    throw err;
  }
}

/**
 * Puts `tmp` at `file` unless `file` exists (EEXIST): a hard link never replaces a file. Without hard links
 * (FAT, some shares), `file` is created exclusively and written (a reader may see it empty a moment).
 */
function linkExclusive(tmp: string, file: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
    fs.copyFileSync(tmp, file, fs.constants.COPYFILE_EXCL);
  }
  fs.unlinkSync(tmp);
}

const deferredFiles = new Set<string>();
const deferredFolders = new Set<string>();

/**
 * Flushes every file written with `durability: "run"` since the last call, then their folders (which hold
 * the renames, and the folders made for them). Call before reporting that the run that wrote them finished.
 */
export function syncDeferredWrites(): void {
  for (const file of deferredFiles) fsyncPath(file);
  deferredFiles.clear();
  for (const dir of deferredFolders) fsyncFolder(dir);
  deferredFolders.clear();
}

/**
 * mkdir -p that records in `changed` every folder whose entries it changed: each folder it made, and the
 * parent of the first (a new folder survives power loss only once its parent's entry is on disk).
 */
export function makeFolder(dir: string, changed: Set<string>): void {
  const first = fs.mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  changed.add(path.dirname(first));
  for (let d = dir; d.length >= first.length && d !== path.dirname(d); d = path.dirname(d)) changed.add(d);
}

const TMP_RANDOM = distinctHex(4);
let tmpCounter = 0;

/** How the temp files of writes to `file` begin (then writerTag()), so a cleaner can find a dead writer's. */
export function tempFilePrefix(file: string): string {
  return `.${path.basename(file).slice(0, 80)}.tmp-`;
}

/**
 * A fresh temp file name beside `file`. Short enough for a 255-byte name limit whatever the target's name;
 * the writer tag + a per-process random part + a counter keep writers apart without asking the OS for
 * randomness on every write.
 */
export function tempPath(file: string): string {
  return path.join(path.dirname(file), `${tempFilePrefix(file)}${writerTag()}${TMP_RANDOM}${(tmpCounter++).toString(36)}`);
}

/** A fresh temp file name in `dir`, for a write to `file`; every name in `dir` starts with its writer's tag. */
function tempPathIn(dir: string, file: string): string {
  return path.join(dir, `${writerTag()}${TMP_RANDOM}${(tmpCounter++).toString(36)}-${path.basename(file).slice(0, 80)}`);
}

/** Opens a new file, making its folder only when it is missing (the common case needs no mkdir). */
function openCreatingFolder(file: string, dir: string, folders: Set<string>): number {
  try {
    return fs.openSync(file, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    makeFolder(dir, folders);
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

/** Flushes a file that is already written and closed (a later write may have replaced it: flush that one). */
function fsyncPath(file: string): void {
  let fd: number | undefined;
  try {
    // Windows flushes only through a handle that may write.
    fd = fs.openSync(file, process.platform === "win32" ? "r+" : "r");
    fs.fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // gone since: nothing left to keep
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/** Makes the renames and creations in `dir` durable. Some platforms cannot open a folder (Windows): then skip. */
export function fsyncFolder(dir: string): void {
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
