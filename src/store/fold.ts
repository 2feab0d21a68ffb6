import * as fs from "node:fs";
import * as path from "node:path";
import { journalWriter } from "../shared/home";
import { isAlive, type ProcessIdentity } from "../shared/process-identity";
import { type Applier, type JournalContext } from "./apply";
import { classifyLine } from "./event-lines";
import type { JournalRow } from "./index-db";
import type { WriteTx } from "./write-tx";

// Folds engine journals into the store, exactly once: each journal's folded byte offset is kept in the
// index and committed with the rows it produced. Journals are read in slices, so a journal of any size is
// folded in bounded memory; only complete lines (ending in "\n") are applied. The caller commits and then
// deletes the journals listed in `finishedFiles` (deleting them earlier could lose events if the commit
// failed).

export interface FoldOptions {
  warn: (message: string) => void;
  /**
   * Runs after every journal was applied and before the runs of dead writers are marked Crashed (so that a
   * runner's "Cancelled" wins over "Crashed"). Returns true when it changed anything.
   */
  beforeCrashMarks?: () => boolean;
  /** Whether a journal's writer still runs (default: its pid is alive). */
  writerAlive?: (journalName: string) => boolean;
}

export interface FoldOutcome {
  eventsFolded: number;
  malformedLines: number;
  runsCrashed: number;
  /** True when anything changed and must be committed. */
  changed: boolean;
  /** Journal files to delete once the index that says they are finished is written. */
  finishedFiles: string[];
}

const SLICE_BYTES = 8 * 1024 * 1024;

export function listJournals(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => journalWriter(n) !== undefined).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/**
 * Whether a journal's writer still runs: its pid and start time (from the name). A journal named in
 * Flowline 1.0's way carries no start time: its last write dates its writer instead.
 */
function writerAliveIn(dir: string): (name: string) => boolean {
  return (name) => {
    const writer = journalWriter(name) as ProcessIdentity;
    if (writer.start !== undefined) return isAlive(writer);
    try {
      return isAlive(writer, fs.statSync(path.join(dir, name)).mtimeMs);
    } catch {
      return isAlive(writer);
    }
  };
}

const pidOf = (name: string): number => journalWriter(name)?.pid ?? 0;

/** Bytes of journal not folded yet (what a fold is about to read), to tell those waiting for the lock. */
export function pendingJournalBytes(tx: WriteTx, dir: string): number {
  const rows = tx.index.journals();
  let total = 0;
  for (const name of listJournals(dir)) {
    const row = rows.get(name);
    if (row?.done) continue;
    try {
      total += Math.max(0, fs.statSync(path.join(dir, name)).size - (row?.foldedBytes ?? 0));
    } catch {
      // deleted meanwhile
    }
  }
  return total;
}

export function foldJournals(tx: WriteTx, applier: Applier, dir: string, options: FoldOptions): FoldOutcome {
  const out: FoldOutcome = { eventsFolded: 0, malformedLines: 0, runsCrashed: 0, changed: false, finishedFiles: [] };
  const writerAlive = options.writerAlive ?? writerAliveIn(dir);
  const index = tx.index;
  const rows = index.journals();
  const names = listJournals(dir);
  const present = new Set(names);
  // Rows of journals that are gone: not a reason to write, they go with the next write.
  for (const [name, row] of rows) {
    if (present.has(name)) continue;
    index.deleteJournal(name);
    // Its row in its segment goes when that segment is written anyway (a stale row there is harmless).
    if (row.segment !== undefined) tx.loadedSegment(row.segment)?.deleteJournal(name);
  }
  const record = (row: JournalRow) => {
    index.putJournal(row);
    if (row.segment !== undefined) tx.segment(row.segment).putJournal(row.name, row.foldedBytes, row.closed, row.done);
  };

  const ended: Array<{ row: JournalRow; alive: boolean }> = [];
  for (const name of names) {
    const row = rows.get(name) ?? { name, foldedBytes: 0, closed: false, done: false };
    const file = path.join(dir, name);
    if (row.done) {
      out.finishedFiles.push(file); // recorded as finished; its deletion did not happen yet
      continue;
    }
    // Liveness before reading: a writer found dead cannot append after our read.
    const alive = writerAlive(name);
    const before = row.foldedBytes;
    if (row.segment === undefined) row.segment = tx.currentSegment();
    foldOne(applier, file, row as JournalRow & { segment: number }, alive, out, options.warn);
    if (row.foldedBytes !== before || !rows.has(name)) {
      record(row);
      out.changed = true;
    }
    if (!alive || row.closed) ended.push({ row, alive });
    // A fold of a long history (many journals) must not hold every segment it filled: once a few are in
    // memory, the runs are written into them and those no longer current are written out and let go.
    if (tx.loadedSegments().length > 3) {
      applier.release();
      tx.flushOthers();
    }
  }

  // Runs folded so far go into their segments' rows, where marking finds them (subflows, a journal's runs).
  applier.flush();
  if (options.beforeCrashMarks?.()) out.changed = true;
  const ts = new Date().toISOString();
  for (const { row, alive } of ended) {
    if (!alive && !row.closed) {
      const ctx: JournalContext = { name: row.name, segment: row.segment as number };
      const message = `The process running this flow (pid ${pidOf(row.name)}) ended before the run finished.`;
      out.runsCrashed += applier.crashJournal(ctx, message, ts);
    }
    row.done = true;
    record(row);
    out.changed = true;
    out.finishedFiles.push(path.join(dir, row.name));
  }
  return out;
}

/** Applies the complete lines after row.foldedBytes, slice by slice; updates row in place. */
function foldOne(
  applier: Applier,
  file: string,
  row: JournalRow & { segment: number },
  alive: boolean,
  out: FoldOutcome,
  warn: (message: string) => void,
): void {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const ctx: JournalContext = { name: row.name, segment: row.segment };
  let malformed = 0;
  let firstProblem = "";
  try {
    const size = fs.fstatSync(fd).size;
    if (size < row.foldedBytes) {
      warn(`Journal ${file} is shorter (${size} bytes) than what was already folded (${row.foldedBytes} bytes); ignoring it.`);
      return;
    }
    let offset = row.foldedBytes;
    let carry: Buffer | undefined;
    while (offset < size) {
      const want = Math.min(SLICE_BYTES, size - offset);
      const fresh = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(fd, fresh, got, want - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      if (got === 0) break;
      offset += got;
      const bytes = carry ? Buffer.concat([carry, fresh.subarray(0, got)]) : fresh.subarray(0, got);
      const lastNewline = bytes.lastIndexOf(0x0a);
      const complete = lastNewline + 1;
      for (let start = 0; start < complete; ) {
        const end = bytes.indexOf(0x0a, start);
        const lineStart = start;
        start = end + 1;
        if (end === lineStart) continue;
        try {
          const line = classifyLine(bytes.toString("utf8", lineStart, end));
          if (!line) continue;
          applier.apply(line, ctx);
          if (line.kind === "event" && line.event.e === "close") row.closed = true;
          out.eventsFolded++;
        } catch (err) {
          // A line that cannot be applied must not block every later line forever.
          if (malformed++ === 0) firstProblem = `first at byte ${row.foldedBytes + lineStart}: ${(err as Error).message}`;
        }
      }
      row.foldedBytes += complete;
      carry = complete < bytes.length ? Buffer.from(bytes.subarray(complete)) : undefined;
    }
    if (carry && !alive) {
      warn(`Discarded an incomplete last line (${carry.length} bytes) of journal ${file}: its writer (pid ${pidOf(row.name)}) ended while writing it.`);
      // A dead writer will never finish its last line: count it as folded (discarded) so the journal can go.
      row.foldedBytes += carry.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (malformed > 0) {
    out.malformedLines += malformed;
    warn(`Skipped ${malformed} malformed line(s) in journal ${file} (${firstProblem}).`);
  }
}
