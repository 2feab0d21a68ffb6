import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";

// A cross-process lock: a file created with O_EXCL holding {pid, created, token}. A holder that died or
// has held it longer than `staleMs` is presumed gone and its lock is broken. The token lets a holder
// release only its own lock, even if it was broken and re-taken meanwhile.

export interface LockOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** A lock older than this is broken even if its owner lives (default 30 s). */
  staleMs?: number;
}

export interface HeldLock {
  readonly file: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

interface LockContent {
  pid: number;
  created: number;
  token: string;
}

const FIRST_DELAY_MS = 2;
const MAX_DELAY_MS = 100;
/** A lock file without readable content is a creator caught between open and write, or one that died there. */
const UNREADABLE_STALE_MS = 2000;

/** True unless the OS says no such process exists (EPERM means it exists but is someone else's). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

export async function acquireLock(file: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let delay = FIRST_DELAY_MS;
  for (;;) {
    const mine = tryCreate(file);
    if (mine) return held(file, mine.token);

    const holder = readLock(file);
    if (holder === undefined) continue; // released between our attempt and the read: try again at once
    if (isStale(holder, staleMs)) {
      breakLock(file, holder.raw);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder.content
        ? `held by process ${holder.content.pid} since ${new Date(holder.content.created).toISOString()}`
        : "whose content cannot be read";
      throw new Error(
        `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for the Flowline database lock ${file} (${who}). ` +
          `If no other Flowline process (CLI run, VS Code window) is working on this folder, ` +
          `delete ${file} and try again.`,
      );
    }
    // Exponential back-off with jitter so waiting processes do not retry in lock-step.
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

function tryCreate(file: string): LockContent | undefined {
  const content: LockContent = { pid: process.pid, created: Date.now(), token: randomBytes(8).toString("hex") };
  let fd: number;
  try {
    fd = fs.openSync(file, "wx");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return undefined;
    if (code === "ENOENT") {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      return tryCreate(file);
    }
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(content));
  } finally {
    fs.closeSync(fd);
  }
  return content;
}

interface Holder {
  raw: string;
  content: LockContent | undefined;
  mtimeMs: number;
}

function readLock(file: string): Holder | undefined {
  try {
    const raw = fs.readFileSync(file, "utf8");
    const mtimeMs = fs.statSync(file).mtimeMs;
    return { raw, content: parseLock(raw), mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function parseLock(raw: string): LockContent | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockContent>;
    if (typeof v.pid === "number" && typeof v.created === "number") {
      return { pid: v.pid, created: v.created, token: typeof v.token === "string" ? v.token : "" };
    }
  } catch {
    // fall through: unreadable
  }
  return undefined;
}

function isStale(holder: Holder, staleMs: number): boolean {
  const now = Date.now();
  if (!holder.content) return now - holder.mtimeMs > UNREADABLE_STALE_MS;
  return !isProcessAlive(holder.content.pid) || now - holder.content.created > staleMs;
}

/**
 * Removes a stale lock without removing a fresh one that replaced it in the meantime: move it aside, check
 * that what we moved is what we judged stale, and put it back if it is not.
 */
function breakLock(file: string, staleRaw: string): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  let movedRaw: string | undefined;
  try {
    movedRaw = fs.readFileSync(aside, "utf8");
  } catch {
    movedRaw = undefined;
  }
  if (movedRaw !== undefined && movedRaw !== staleRaw) {
    try {
      fs.linkSync(aside, file); // fails if yet another process holds it now; then its owner keeps it
    } catch {
      // nothing more we can do
    }
  }
  try {
    fs.unlinkSync(aside);
  } catch {
    // already gone
  }
}

function held(file: string, token: string): HeldLock {
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      try {
        const current = parseLock(fs.readFileSync(file, "utf8"));
        if (current && current.token === token) fs.unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
