import * as fs from "node:fs";
import { tempPath, writeFileAtomicSync } from "../shared/atomic-write";
import { UserError } from "../engine/errors";
import { distinctHex, isAlive, ownIdentity, validStart } from "../shared/process-identity";

// A cross-process lock: a file that appears whole (written aside, then hard-linked into place, which fails
// if it exists) holding its owner's pid and start time, a token, who it is and what it is doing. It never
// expires while its owner lives, however long it holds it (a 200 MB fold, a stopped process, a laptop that
// slept): only an owner that is gone loses it. The token lets a holder release only its own lock.

export interface LockOptions {
  /** Give up after this long with a StoreBusyError. Default: wait as long as the holder lives. */
  timeoutMs?: number;
}

export interface LockRequest extends LockOptions {
  /** Who takes the lock, told to whoever waits for it: "flowline artifacts rm", "VS Code". */
  label?: string;
  /** What the holder does first ("deleting an artifact"); HeldLock.status() tells what it does next. */
  doing: string;
  /** Told while waiting (after a second, then every few seconds): who holds the lock, and how long it has. */
  onWait?: (message: string) => void;
}

export interface HeldLock {
  readonly file: string;
  /** Says what the holder does now, for those who wait ("folding 180 MB of journals"). */
  status(doing: string): void;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

/** Who holds a lock, as its file says. */
export interface LockHolder {
  pid: number;
  label?: string;
  doing?: string;
  /** Since when (ms since the epoch, the holder's clock): shown. Its age decides nothing. */
  since?: number;
}

interface LockContent {
  pid: number;
  start?: string;
  created: number;
  token: string;
  label?: string;
  doing?: string;
}

/** The lock is held by a live process, and the caller asked not to wait long enough. */
export class StoreBusyError extends UserError {
  override name = "StoreBusyError";
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    super(`The Flowline database is busy: ${describeHolder(holder)} (lock ${file}). Try again when it has finished.`);
  }
}

/** Another process kept replacing the database file while this one held the lock (it ignores the lock). */
export class StoreConflictError extends UserError {
  override name = "StoreConflictError";
  constructor(file: string, lockFile: string, times: number) {
    super(
      `The Flowline database ${file} was replaced ${times} times by another process while this one held its lock ` +
        `${lockFile}; nothing was written. Is an older Flowline (1.0) using this folder? Update it, then try again.`,
    );
  }
}

const FIRST_DELAY_MS = 2;
const MAX_DELAY_MS = 100;
const FIRST_REPORT_MS = 1000;
const REPORT_EVERY_MS = 5000;
/**
 * A lock file without readable content cannot name a live owner. Flowline itself never leaves one (it
 * links a complete file into place), but Flowline 1.0 created the file and then wrote it: give such a
 * writer this long to finish writing before treating the lock as abandoned.
 */
const UNREADABLE_STALE_MS = 2000;

/** "flowline run (pid 4242), folding 180 MB of journals; it has held the database lock for 12 s". */
export function describeHolder(holder: LockHolder, now = Date.now()): string {
  const who = `${holder.label ?? "another Flowline process"}${holder.pid > 0 ? ` (pid ${holder.pid})` : ""}`;
  const doing = holder.doing ? `, ${holder.doing}` : "";
  const held = holder.since !== undefined ? `; it has held the database lock for ${Math.max(0, Math.round((now - holder.since) / 1000))} s` : "";
  return `${who}${doing}${held}`;
}

/** Takes the lock, waiting while a live process holds it (told through `onWait`); breaks a dead owner's. */
export async function acquireLock(file: string, request: LockRequest): Promise<HeldLock> {
  const started = Date.now();
  let nextReport = started + FIRST_REPORT_MS;
  let delay = FIRST_DELAY_MS;
  for (;;) {
    const got = tryLock(file, request);
    if ("release" in got) return got;
    const now = Date.now();
    if (request.timeoutMs !== undefined && now - started >= request.timeoutMs) throw new StoreBusyError(file, got);
    if (request.onWait && now >= nextReport) {
      request.onWait(`waiting for ${describeHolder(got, now)}`);
      nextReport = now + REPORT_EVERY_MS;
    }
    // Exponential back-off with jitter so waiting processes do not retry in lock-step.
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

/** Takes the lock if no live process holds it (breaking a dead owner's); else says who holds it. Never waits. */
export function tryLock(file: string, request: LockRequest): HeldLock | LockHolder {
  const me = ownIdentity();
  const content: LockContent = { pid: me.pid, start: me.start, created: Date.now(), token: distinctHex(8), label: request.label, doing: request.doing };
  for (let attempt = 0; ; attempt++) {
    if (create(file, content)) return held(file, content);
    const holder = readLock(file);
    if (holder === undefined) continue; // released between our attempt and the read: try again at once
    if (isStale(holder) && attempt < 8) {
      breakLock(file, holder.raw);
      continue;
    }
    const c = holder.content;
    return c ? { pid: c.pid, label: c.label, doing: c.doing, since: c.created } : { pid: 0, label: "a process that is still writing the lock file" };
  }
}

/** Creates the lock file with its whole content at once; false when it exists. */
function create(file: string, content: LockContent): boolean {
  try {
    writeFileAtomicSync(file, JSON.stringify(content), { exclusive: true });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
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
      const text = (x: unknown) => (typeof x === "string" && x !== "" ? x.slice(0, 200) : undefined);
      return { pid: v.pid, start: validStart(v.start), created: v.created, token: text(v.token) ?? "", label: text(v.label), doing: text(v.doing) };
    }
  } catch {
    // fall through: unreadable
  }
  return undefined;
}

/** Stale = its owner is gone. Never its age: a live owner keeps its lock however long it works. */
function isStale(holder: Holder): boolean {
  if (!holder.content) return Date.now() - holder.mtimeMs > UNREADABLE_STALE_MS;
  return !isAlive({ pid: holder.content.pid, start: holder.content.start }, holder.content.created);
}

/**
 * Removes a stale lock without removing a fresh one that replaced it in the meantime: move it aside, check
 * that what we moved is what we judged stale, and put it back if it is not.
 */
function breakLock(file: string, staleRaw: string): void {
  const aside = tempPath(file); // named like a temp file of this process: cleaned up if we die right here
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

function ours(file: string, token: string): boolean {
  try {
    return parseLock(fs.readFileSync(file, "utf8"))?.token === token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

function held(file: string, content: LockContent): HeldLock {
  let released = false;
  return {
    file,
    status(doing: string) {
      if (released || content.doing === doing || !ours(file, content.token)) return;
      content.doing = doing;
      // Replace the file whole (rename), so a reader never sees half of it.
      const tmp = tempPath(file);
      try {
        fs.writeFileSync(tmp, JSON.stringify(content), { flag: "wx" });
        fs.renameSync(tmp, file);
      } catch {
        fs.rmSync(tmp, { force: true }); // only a courtesy to those who wait: never fail the work for it
      }
    },
    release() {
      if (released) return;
      released = true;
      if (ours(file, content.token)) fs.rmSync(file, { force: true });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
