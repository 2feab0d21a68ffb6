import * as fs from "node:fs";
import * as path from "node:path";
import { dbPath, journalDir } from "../shared/home";
import type { Disposable } from "./emitter";

// Watches a Flowline home for what other processes do: the database file being replaced (every write is
// an atomic rename onto flowline.db) and journals being appended (a run in progress, in a terminal or in
// another window). A home that does not exist yet is waited for by watching its nearest existing parent.
// The lock file and temporary files are ignored, or a fold's own lock would wake us again forever.
// Where fs.watch is unavailable (inotify limits), it polls.

export interface HomeWatcherEvents {
  onDatabase(): void;
  onJournal(): void;
}

const POLL_MS = 2000;

export class HomeWatcher implements Disposable {
  private watchers: fs.FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly home: string,
    private readonly events: HomeWatcherEvents,
  ) {
    this.attach();
  }

  private attach(): void {
    this.close();
    if (this.disposed) return;
    const db = path.basename(dbPath(this.home));
    const journals = journalDir(this.home);
    try {
      if (!fs.existsSync(this.home)) {
        this.waitFor(this.home);
        return;
      }
      const journalWatched = fs.existsSync(journals);
      this.watch(this.home, (name) => {
        if (name === db) this.events.onDatabase();
        else if (!journalWatched && (name === path.basename(journals) || name === null) && fs.existsSync(journals)) {
          this.attach();
          this.events.onJournal();
        }
      });
      if (journalWatched) this.watch(journals, () => this.events.onJournal());
      // A terminal run creates the journal folder right after the home: if it came between the check and
      // the watch, no event tells of it.
      else if (fs.existsSync(journals)) {
        this.attach();
        this.events.onJournal();
      }
    } catch {
      this.startPolling();
    }
  }

  /** Watches the nearest existing parent of `target` until `target` appears, then attaches. */
  private waitFor(target: string): void {
    let dir = path.dirname(target);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const appeared = () => {
      if (!fs.existsSync(target)) return;
      this.attach();
      // It may have appeared with a database and journals already in it.
      this.events.onDatabase();
      this.events.onJournal();
    };
    this.watch(dir, appeared);
    // Created between the check and the watch: no event tells of it.
    appeared();
  }

  private watch(dir: string, onChange: (name: string | null) => void): void {
    const watcher = fs.watch(dir, { persistent: false }, (_event, name) => onChange(name === null ? null : String(name)));
    watcher.on("error", () => this.startPolling());
    this.watchers.push(watcher);
  }

  private startPolling(): void {
    this.close();
    if (this.disposed) return;
    let last = this.signature();
    this.poll = setInterval(() => {
      const now = this.signature();
      if (now.db !== last.db) this.events.onDatabase();
      if (now.journal !== last.journal) this.events.onJournal();
      last = now;
    }, POLL_MS);
    this.poll.unref?.();
  }

  private signature(): { db: string; journal: string } {
    const stat = (file: string) => {
      try {
        const s = fs.statSync(file);
        return `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return "";
      }
    };
    let journal = stat(journalDir(this.home));
    try {
      for (const name of fs.readdirSync(journalDir(this.home))) journal += `|${name}:${stat(path.join(journalDir(this.home), name))}`;
    } catch {
      // no journal folder yet
    }
    return { db: stat(dbPath(this.home)), journal };
  }

  private close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.close();
  }
}
