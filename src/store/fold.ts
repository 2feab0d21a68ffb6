import * as fs from "node:fs";
import * as path from "node:path";
import type { Database, SqlValue } from "sql.js";
import type { EngineEvent } from "../shared/events";
import { journalWriter } from "../shared/home";
import { isAlive, type ProcessIdentity } from "../shared/process-identity";
import { isoTime, parseEventLine } from "./events-parse";
import { RunBuffer } from "./run-buffer";
import { Statements } from "./statements";
import { crashJournalRuns } from "./marks";

// Folds engine journals into the database, exactly once: each journal's folded byte offset is kept in the
// same database and committed in the same transaction as the rows it produced. Only complete lines (ending
// in "\n") are applied. Runs inside the caller's lock; the caller writes the file and then deletes the
// journals listed in `finishedFiles` (deleting them earlier could lose events if the write failed).

export interface FoldOptions {
  warn: (message: string) => void;
  /** Runs inside the fold's transaction after all journals are applied and before dead writers' runs are
   * crash-marked (so a runner's "Cancelled" wins over "Crashed"). Returns true when it changed anything. */
  beforeFinish?: (db: Database, st: Statements) => boolean;
  now?: () => Date;
}

export interface FoldOutcome {
  eventsFolded: number;
  malformedLines: number;
  runsCrashed: number;
  /** True when rows changed and the database must be written. */
  changed: boolean;
  /** Journal files to delete once the database is written. */
  finishedFiles: string[];
}

interface JournalRow {
  foldedBytes: number;
  closed: boolean;
  done: boolean;
}

interface Pending {
  name: string;
  writer: ProcessIdentity;
  alive: boolean;
  row: JournalRow;
}

export function foldJournals(db: Database, dir: string, options: FoldOptions): FoldOutcome {
  const now = options.now ?? (() => new Date());
  const out: FoldOutcome = { eventsFolded: 0, malformedLines: 0, runsCrashed: 0, changed: false, finishedFiles: [] };
  const rows = readJournalRows(db);
  const names = listJournals(dir);
  const present = new Set(names);
  const st = new Statements(db);
  db.exec("BEGIN");
  try {
    // Rows of journals that are gone. Not a reason to write the file: they go with the next write.
    for (const name of rows.keys()) if (!present.has(name)) db.run("DELETE FROM journals WHERE name = ?", [name]);

    const pending: Pending[] = [];
    for (const name of names) {
      const row = rows.get(name) ?? { foldedBytes: 0, closed: false, done: false };
      if (row.done) {
        out.finishedFiles.push(path.join(dir, name)); // recorded as finished, deletion did not happen yet
        continue;
      }
      const writer = journalWriter(name) as ProcessIdentity;
      // Liveness before reading: a writer found dead cannot append after our read. Its start time tells
      // it from a later process that got the same pid.
      const alive = writerAlive(path.join(dir, name), writer);
      const before = row.foldedBytes;
      foldOne(st, path.join(dir, name), name, writer.pid, alive, row, out, options.warn);
      if (row.foldedBytes !== before) {
        st.run("journal", [name, row.foldedBytes, row.closed ? 1 : 0, 0]);
        out.changed = true;
      }
      pending.push({ name, writer, alive, row });
    }

    // artifact_latest follows inserted artifacts by itself (a trigger, schema v3).
    if (options.beforeFinish?.(db, st)) out.changed = true;

    const ts = now().toISOString();
    for (const p of pending) {
      if (p.alive && !p.row.closed) continue;
      if (!p.alive && !p.row.closed) {
        const message = `The process running this flow (pid ${p.writer.pid}) ended before the run finished.`;
        out.runsCrashed += crashJournalRuns(db, st, p.name, message, ts);
      }
      st.run("journal", [p.name, p.row.foldedBytes, p.row.closed ? 1 : 0, 1]);
      out.changed = true;
      out.finishedFiles.push(path.join(dir, p.name));
    }
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  } finally {
    st.free();
  }
  return out;
}

/** A journal named in Flowline 1.0's way carries no start time: its last write dates its writer instead. */
function writerAlive(file: string, writer: ProcessIdentity): boolean {
  if (writer.start !== undefined) return isAlive(writer);
  try {
    return isAlive(writer, fs.statSync(file).mtimeMs);
  } catch {
    return isAlive(writer);
  }
}

/** Bytes of journal not folded yet into `db` (what a fold is about to read). */
export function pendingJournalBytes(db: Database, dir: string): number {
  const rows = readJournalRows(db);
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

function readJournalRows(db: Database): Map<string, JournalRow> {
  const rows = new Map<string, JournalRow>();
  const res = db.exec("SELECT name, folded_bytes, closed, done FROM journals");
  for (const [name, folded, closed, done] of res[0]?.values ?? []) {
    rows.set(String(name), { foldedBytes: Number(folded), closed: closed === 1, done: done === 1 });
  }
  return rows;
}

/** Journal files in name order (order between journals does not matter: each holds its own runs). */
function listJournals(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => journalWriter(n) !== undefined)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Applies the complete lines after row.foldedBytes; updates row in place. */
function foldOne(
  st: Statements,
  file: string,
  name: string,
  pid: number,
  alive: boolean,
  row: JournalRow,
  out: FoldOutcome,
  warn: (message: string) => void,
): void {
  const bytes = readFrom(file, row.foldedBytes, warn);
  if (!bytes || bytes.length === 0) return;
  const lastNewline = bytes.lastIndexOf(0x0a);
  const complete = lastNewline < 0 ? 0 : lastNewline + 1;
  if (complete < bytes.length && !alive) {
    warn(
      `Discarded an incomplete last line (${bytes.length - complete} bytes) of journal ${file}: ` +
        `its writer (pid ${pid}) ended while writing it.`,
    );
  }
  if (complete > 0) {
    let malformed = 0;
    let firstProblem = "";
    const runs = new RunBuffer(st, name);
    // Decode line by line rather than split(): each line's string dies young, which keeps GC cheap.
    for (let start = 0; start < complete; ) {
      const end = bytes.indexOf(0x0a, start);
      const line = bytes.toString("utf8", start, end);
      const lineStart = start;
      start = end + 1;
      try {
        const event = parseEventLine(line);
        if (!event) continue;
        applyEvent(st, runs, event);
        if (event.e === "close") row.closed = true;
        out.eventsFolded++;
      } catch (err) {
        // Not only MalformedEvent: a line the database rejects must not block every later line forever.
        if (malformed++ === 0) firstProblem = `first at byte ${row.foldedBytes + lineStart}: ${(err as Error).message}`;
      }
    }
    runs.flush();
    if (malformed > 0) {
      out.malformedLines += malformed;
      warn(`Skipped ${malformed} malformed line(s) in journal ${file} (${firstProblem}).`);
    }
  }
  // A dead writer will never finish its last line: count it as folded (discarded) so the journal can go.
  row.foldedBytes += alive ? complete : bytes.length;
}

function readFrom(file: string, offset: number, warn: (message: string) => void): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < offset) {
      warn(`Journal ${file} is shorter (${size} bytes) than what was already folded (${offset} bytes); ignoring it.`);
      return undefined;
    }
    const buf = Buffer.allocUnsafe(size - offset);
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function opt(value: string | number | undefined | null): SqlValue {
  return value ?? null;
}

function optTime(value: string | undefined | null): SqlValue {
  return value ? isoTime(value) : null;
}

function applyEvent(st: Statements, runs: RunBuffer, ev: EngineEvent): void {
  switch (ev.e) {
    case "flow_run":
      runs.flowRun(ev);
      break;
    case "task_run":
      runs.taskRun(ev);
      break;
    case "state":
      runs.state({
        kind: ev.kind,
        id: ev.id,
        type: ev.type,
        name: ev.name,
        message: ev.message ?? undefined,
        ts: isoTime(ev.ts),
        runCount: ev.runCount ?? undefined,
        resultKey: ev.resultKey ?? undefined,
        resultJson: "result" in ev ? json(ev.result) ?? undefined : undefined,
      });
      break;
    case "log": {
      // A task's log line may carry only the task run id: file it under the task's flow run too.
      const task = ev.taskRunId ?? undefined;
      const flow = ev.flowRunId ?? (task ? runs.flowRunOfTask(task) ?? st.value("taskFlowRun", [task]) : null);
      st.run("log", [flow, opt(task), ev.level, ev.message, isoTime(ev.ts)]);
      break;
    }
    case "artifact":
      st.run("artifact", [
        ev.id,
        opt(ev.key),
        ev.type,
        opt(ev.description),
        json(ev.data),
        opt(ev.flowRunId),
        opt(ev.taskRunId),
        isoTime(ev.created),
      ]);
      break;
    case "artifact_update":
      st.run("artifactUpdate", [ev.id, json(ev.data), opt(ev.description), isoTime(ev.ts)]);
      break;
    case "cache":
      st.run("cache", [ev.cacheKey, ev.storageKey, opt(ev.taskRunId), isoTime(ev.created), optTime(ev.expiresAt)]);
      break;
    case "close":
      break;
  }
}
