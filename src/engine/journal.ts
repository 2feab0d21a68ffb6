import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { fsyncFolder, makeFolder, syncDeferredWrites, type Durability } from "../shared/atomic-write";
import type { EngineEvent } from "../shared/events";
import { journalDir, journalFileName } from "../shared/home";

const PLAIN_NAME = /^[A-Za-z][A-Za-z ]*$/;

/**
 * One event as a JSON line. State events are most of a journal (three a task run) and their fields are
 * ids, ISO times and plain names, so they are written directly; anything else goes through JSON.
 */
export function encodeEvent(event: EngineEvent): string {
  if (event.e === "state" && event.message === undefined && event.resultKey === undefined && event.result === undefined && PLAIN_NAME.test(event.name)) {
    const count = event.runCount === undefined ? "" : `,"runCount":${event.runCount | 0}`;
    return `{"e":"state","kind":"${event.kind}","id":${JSON.stringify(event.id)},"type":"${event.type}","name":"${event.name}","ts":"${event.ts}"${count}}`;
  }
  return JSON.stringify(event);
}

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
  private buffer: string[] = [];
  private scheduled = false;
  private closed = false;
  /** Lines written since the last flush to the disk; one of them is not a log line (durability "fsync"). */
  private unsynced = false;
  private mustSync = false;
  /** Folders whose entries changed when the file (and maybe its folder) was made: on disk with the first sync. */
  private readonly newFolders = new Set<string>();
  private readonly maxBuffered = 512;

  /**
   * `onFlush` receives each batch as written, JSON lines (the runner's child streams it to its parent:
   * the text is sent as it is, not encoded a second time).
   */
  constructor(
    home: string,
    private readonly onFlush?: (lines: string) => void,
    readonly durability: Durability = "run",
  ) {
    // The folder and file are made on the first write, so a process that records nothing leaves nothing.
    this.file = path.join(journalDir(home), journalFileName(randomBytes(6).toString("hex")));
  }

  append(event: EngineEvent): void {
    if (this.closed) return;
    this.buffer.push(encodeEvent(event));
    // Logs and the closing line promise nothing: they reach the disk with the next event that does.
    if (this.durability === "fsync" && event.e !== "log" && event.e !== "close") {
      this.mustSync = true;
      this.flushSync();
    }
    else if (this.buffer.length >= this.maxBuffered) this.flushSync();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushSync());
    }
  }

  flushSync(): void {
    this.scheduled = false;
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("\n") + "\n";
    this.buffer = [];
    if (this.fd === undefined) {
      makeFolder(path.dirname(this.file), this.newFolders);
      this.fd = fs.openSync(this.file, "a");
      this.newFolders.add(path.dirname(this.file));
    }
    const bytes = Buffer.from(text);
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done);
    this.unsynced = true;
    if (this.mustSync) this.syncFile();
    this.onFlush?.(text);
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
    if (this.fd === undefined && this.buffer.length === 0) {
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
