import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { fsyncFolder, makeFolder, syncDeferredWrites, type Durability } from "../shared/atomic-write";
import type { EngineEvent, StateEvent } from "../shared/events";
import { COMPLETED, encodeEngineEvent, engineTaskRunHead, RUNNING } from "./event-encoding";
import { journalDir, journalFileName } from "../shared/home";

export { encodeEvent } from "./event-encoding";

const BACKGROUND_SYNC_BYTES = 32 * 1024 * 1024;
/**
 * The buffer is written before it reaches V8's large objects (128 KB): each of those is mapped and unmapped
 * by itself, and flattening a buffer that big into one cost a no-op task run a tenth of its time.
 */
const MAX_BUFFER_CHARS = 64 * 1024;
const ignore = (): void => undefined;

/**
 * An append-only file of engine events, one JSON line each. A line written with writeSync is in the
 * kernel's page cache when the call returns, so it survives a SIGKILL of this process; whoever opens the
 * store next folds it into the database. Events are buffered and written once per tick (or when the
 * buffer is large); `flushSync` writes at once, for writes that must survive a kill when a call returns.
 *
 * Power loss needs more: `syncToDisk` (the end of a run, in every mode) flushes the run's result files and
 * then the journal to the disk. With durability "fsync" every event but a log line is written and flushed
 * before append returns; log lines go with the next such event.
 */
export class JournalWriter {
  readonly file: string;
  private fd: number | undefined;
  /** Lines not written yet, each ending in a newline: one string, appended to, is cheaper than an array joined. */
  private buffer = "";
  private buffered = 0;
  private scheduled = false;
  private closed = false;
  /** Lines written since the last flush to the disk; one of them is not a log line (durability "fsync"). */
  private unsynced = false;
  private mustSync = false;
  /** Folders whose entries changed when the file (and maybe its folder) was made: on disk with the first sync. */
  private readonly newFolders = new Set<string>();
  private readonly maxBuffered = 512;
  private sinceBackgroundSync = 0;
  private readonly flushSoon = (): void => this.flushSync();
  /**
   * The last task_run line, not ended yet while its run's next events are its Running and Completed states
   * (holdOn). Its text is made when the event comes: the parameters as they were then.
   */
  private held: { id: string; head: string; running: string | undefined } | undefined;

  constructor(
    home: string,
    readonly durability: Durability = "run",
  ) {
    // The folder and file are made on the first write, so a process that records nothing leaves nothing.
    this.file = path.join(journalDir(home), journalFileName(randomBytes(6).toString("hex")));
  }

  append(event: EngineEvent): void {
    if (this.closed) return;
    if (this.held !== undefined) {
      if (event.e === "state" && event.id === this.held.id && this.holdOn(event)) return;
      this.release();
    }
    if (event.e === "task_run" && this.durability !== "fsync") {
      const head = engineTaskRunHead(event);
      if (head !== undefined) {
        this.held = { id: event.id, head, running: undefined };
        return this.schedule();
      }
    }
    this.buffer += encodeEngineEvent(event);
    // Logs and the closing line promise nothing: they reach the disk with the next event that does.
    if (this.durability === "fsync" && event.e !== "log" && event.e !== "close") {
      this.mustSync = true;
      this.flushSync();
    }
    else this.schedule();
  }

  /** Counts a line appended, and writes the buffer when it is full, or else soon. */
  private schedule(): void {
    if (++this.buffered >= this.maxBuffered || this.buffer.length >= MAX_BUFFER_CHARS) this.flushSync();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /**
   * A task run's own next state, while its task_run line is held: its first Running, then its Completed,
   * fold into that line (one line a task run instead of three: writing the lines was a quarter of a no-op
   * task run's time). False when the state is anything else, which ends the line as it stands.
   */
  private holdOn(state: StateEvent): boolean {
    const held = this.held!;
    if (state.kind !== "task" || state.message !== undefined || state.resultKey !== undefined || state.result !== undefined || state.runCount !== 1) return false;
    if (held.running === undefined) {
      if (state.type !== "Running" || state.name !== "Running") return false;
      held.running = state.ts;
      return true;
    }
    if (state.type !== "Completed" || state.name !== "Completed") return false;
    this.held = undefined;
    this.buffer += held.head + RUNNING + held.running + COMPLETED + state.ts + '"}\n';
    return true;
  }

  /** Ends the held task_run line as it stands: with its Running state when it had one. */
  private release(): void {
    const held = this.held!;
    this.held = undefined;
    this.buffer += held.running === undefined ? held.head + '"}\n' : held.head + RUNNING + held.running + '"}\n';
  }

  flushSync(): void {
    this.scheduled = false;
    if (this.held !== undefined) this.release();
    if (this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    this.buffered = 0;
    if (this.fd === undefined) {
      makeFolder(path.dirname(this.file), this.newFolders);
      this.fd = fs.openSync(this.file, "a");
      this.newFolders.add(path.dirname(this.file));
    }
    // The text as it is (no Buffer made first); for a file, one write takes it whole, and what a short
    // write left is written from its bytes.
    const written = fs.writeSync(this.fd, text);
    if (written !== text.length && written !== Buffer.byteLength(text)) {
      const bytes = Buffer.from(text);
      for (let done = written; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done);
    }
    this.unsynced = true;
    if (this.mustSync) this.syncFile();
    else if ((this.sinceBackgroundSync += written) >= BACKGROUND_SYNC_BYTES) this.syncInBackground();
  }

  /**
   * A big journal is flushed to the disk as it grows, by the thread pool while the flow goes on, so that the
   * flush at the run's end (syncToDisk) finds little left to write: a million task runs write half a
   * gigabyte, a second of disk writes if all left to the end. It promises nothing by itself.
   */
  private syncInBackground(): void {
    if (this.fd === undefined) return;
    this.sinceBackgroundSync = 0;
    // Not waited for, nor held back until the last one answered: a flow that never yields would never hear.
    fs.fdatasync(this.fd, ignore);
  }

  /**
   * Makes everything recorded so far survive power loss: the result files written with durability "run"
   * first (a journal line must not name a result that is not on disk), then this journal and its folder.
   */
  syncToDisk(): void {
    syncDeferredWrites();
    this.flushSync();
    this.syncFile();
  }

  private syncFile(): void {
    this.mustSync = false;
    if (this.fd === undefined || !this.unsynced) return;
    fs.fdatasyncSync(this.fd);
    this.unsynced = false;
    // A new file is reachable after power loss only once its folder's entry is on disk.
    for (const dir of this.newFolders) fsyncFolder(dir);
    this.newFolders.clear();
  }

  /** Writes what is buffered and a closing line, so readers know this journal ended cleanly. */
  close(): void {
    if (this.closed) return;
    if (this.fd === undefined && this.buffer === "" && this.held === undefined) {
      this.closed = true; // nothing was ever written: leave no file behind
      return;
    }
    this.append({ e: "close", ts: new Date().toISOString() });
    this.flushSync();
    this.closed = true;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
