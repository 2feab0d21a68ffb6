import * as fs from "node:fs";

// Who wrote a lock, a journal or a temp file, precisely enough to tell later whether that process still
// runs. A pid alone is not enough: pids are reused, and their numbering starts again after a reboot. On
// Linux a process is also known by its start time (field 22 of /proc/<pid>/stat, in clock ticks since
// boot) and by the boot it belongs to (/proc/sys/kernel/random/boot_id); elsewhere only the pid is known.

export interface ProcessIdentity {
  pid: number;
  /** `s<start ticks>b<8 hex digits of the boot id>`; undefined where it cannot be read. */
  start?: string;
}

const START = /^s\d+b[0-9a-f]{8}$/;
/** `<pid>-` then, when the start is known, `<start>r`: the head of every name that records its writer. */
const TAG = /^(\d+)-(?:(s\d+b[0-9a-f]{8})r)?/;
/** Linux reports process start times in USER_HZ ticks, 100 a second on every architecture it runs on. */
const TICKS_PER_SECOND = 100;
/** A process that started this much after a record was written cannot be the one that wrote it. */
const CLOCK_SLACK_MS = 2000;

interface ProcStat {
  state: string;
  startTicks: string;
}

function procStat(pid: number): ProcStat | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: fields are counted after its last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTicks: fields[19] };
  } catch {
    return undefined;
  }
}

let bootId: string | undefined | null = null;
function currentBootId(): string | undefined {
  if (bootId === null) {
    try {
      bootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().replace(/-/g, "").slice(0, 8);
      if (!/^[0-9a-f]{8}$/.test(bootId)) bootId = undefined;
    } catch {
      bootId = undefined;
    }
  }
  return bootId;
}

let bootTimeMs: number | undefined | null = null;
function bootTime(): number | undefined {
  if (bootTimeMs === null) {
    try {
      const m = /^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"));
      bootTimeMs = m ? Number(m[1]) * 1000 : undefined;
    } catch {
      bootTimeMs = undefined;
    }
  }
  return bootTimeMs;
}

function startToken(stat: ProcStat | undefined): string | undefined {
  const boot = currentBootId();
  if (!stat || !boot || !/^\d+$/.test(stat.startTicks ?? "")) return undefined;
  return `s${stat.startTicks}b${boot}`;
}

let own: ProcessIdentity | undefined;

/** This process. */
export function ownIdentity(): ProcessIdentity {
  if (!own || own.pid !== process.pid) own = { pid: process.pid, start: startToken(procStat(process.pid)) };
  return own;
}

/** The head of a file name that records this process as its writer: `<pid>-` or `<pid>-<start>r`. */
export function writerTag(): string {
  const me = ownIdentity();
  return me.start ? `${me.pid}-${me.start}r` : `${me.pid}-`;
}

/** The writer recorded at the start of `text` by writerTag() (older names carry the pid only). */
export function parseWriterTag(text: string): ProcessIdentity | undefined {
  const m = TAG.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, start: m[2] } : undefined;
}

/** A start token as written by ownIdentity(), or undefined for anything else. */
export function validStart(value: unknown): string | undefined {
  return typeof value === "string" && START.test(value) ? value : undefined;
}

/**
 * True while the process that recorded `who` still runs. Its start time must match when it was recorded;
 * when it was not (files of Flowline 1.0), a process that started after `recordedAtMs` is a stranger that
 * got the same pid. A zombie (ended, not yet reaped) is not running. Unknown means alive: never break a
 * live process's lock.
 */
export function isAlive(who: ProcessIdentity, recordedAtMs?: number): boolean {
  const { pid } = who;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return who.start === undefined || ownIdentity().start === undefined || who.start === ownIdentity().start;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false; // EPERM: it exists, as another user
  }
  const stat = procStat(pid);
  if (!stat) return true;
  if (stat.state === "Z" || stat.state === "X") return false;
  const token = startToken(stat);
  if (who.start !== undefined && token !== undefined) return who.start === token;
  const boot = bootTime();
  if (recordedAtMs !== undefined && boot !== undefined && /^\d+$/.test(stat.startTicks)) {
    const startedAt = boot + (Number(stat.startTicks) * 1000) / TICKS_PER_SECOND;
    if (startedAt > recordedAtMs + CLOCK_SLACK_MS) return false;
  }
  return true;
}

/**
 * `bytes` random bytes as hex, to tell apart what one process makes (temp file names, lock tokens): never a
 * secret, so Math.random (seeded from the OS per process) serves, and node:crypto, 16 ms to load, stays
 * out of the CLI's reads.
 */
export function distinctHex(bytes: number): string {
  let text = "";
  for (let i = 0; i < bytes; i++) text += Math.floor(Math.random() * 256).toString(16).padStart(2, "0");
  return text;
}
