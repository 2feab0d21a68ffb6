import * as fs from "node:fs";
import * as path from "node:path";
import { dbPath, journalDir } from "../shared/home";
import { openFlowlineStore } from "../runner/open-store";
import type { Store } from "../store";
import { Emitter, type Disposable } from "./emitter";
import { HomeWatcher } from "./home-watcher";

// The extension's access to the Flowline store. Nothing heavy happens before it is needed: the store
// module (and sql.js's WebAssembly) loads on the first `get()`, the home is watched from then on (or from
// the first `watch()`, when a view is shown), and journals are folded (`store.sync()`) on a short
// throttle, so runs started in a terminal or another window show up by themselves.

export interface StoreServiceOptions {
  home(): string;
  /** Days after which sync() deletes old runs (the flowline.retentionDays setting); 0 keeps everything. */
  retentionDays?(): number;
  onWarning(message: string): void;
  /** Delay before folding journals after they changed (coalesces a run's many appends). */
  syncDelayMs?: number;
}

export class StoreService implements Disposable {
  private readonly changed = new Emitter<void>();
  /** Fires after the database changed (folded here, or written by another process). */
  readonly onDidChange = this.changed.event;
  private opening: { home: string; retentionDays: number; store: Promise<Store> } | undefined;
  private watcher: { home: string; watcher: HomeWatcher } | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing = false;
  private syncAgain = false;
  private disposed = false;

  constructor(private readonly options: StoreServiceOptions) {}

  get home(): string {
    return this.options.home();
  }

  /** The store, opened on first use (creating the home folder); opened again when the home or retention changed. */
  get(): Promise<Store> {
    const home = this.home;
    const retentionDays = this.options.retentionDays?.() ?? 0;
    if (this.opening?.home !== home || this.opening.retentionDays !== retentionDays) {
      this.closeStore();
      const store = this.open(home, retentionDays);
      this.opening = { home, retentionDays, store };
      store.catch(() => {
        if (this.opening?.store === store) this.opening = undefined;
      });
    }
    this.watch();
    return this.opening.store;
  }

  /** The store if there is anything to show (a database or journals), without creating the home. */
  async peek(): Promise<Store | undefined> {
    this.watch();
    if (this.opening?.home !== this.home && !hasData(this.home)) return undefined;
    return this.get();
  }

  /**
   * Folds journals now; fires onDidChange. A home with nothing in it is left alone (not created). Errors
   * become warnings: the views keep showing the last good state.
   */
  async sync(): Promise<void> {
    try {
      const store = await this.peek();
      await store?.sync();
    } catch (err) {
      this.options.onWarning(`Could not read the Flowline database in ${this.home}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!this.disposed) this.changed.fire();
  }

  /** Folds journals soon: once per delay however many changes arrive, and never two folds at once. */
  scheduleSync(): void {
    if (this.disposed) return;
    if (this.syncTimer || this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncing = true;
      void this.sync().finally(() => {
        this.syncing = false;
        if (this.syncAgain) {
          this.syncAgain = false;
          this.scheduleSync();
        }
      });
    }, this.options.syncDelayMs ?? 250);
  }

  /** Starts watching the home (idempotent; follows a changed home). */
  watch(): void {
    const home = this.home;
    if (this.disposed || this.watcher?.home === home) return;
    this.watcher?.watcher.dispose();
    const watcher = new HomeWatcher(home, {
      onDatabase: () => this.changed.fire(),
      // Folding needs the store; before anything opened it, a journal means a run in a terminal: open now.
      onJournal: () => this.scheduleSync(),
    });
    this.watcher = { home, watcher };
  }

  /** The home setting changed: close the old store and watch the new home. */
  homeChanged(): void {
    this.closeStore();
    if (this.watcher) this.watch();
    this.changed.fire();
  }

  private open(home: string, retentionDays: number): Promise<Store> {
    // The store module (and sql.js) loads here, not at activation. Its trees fold without waiting for
    // another process's lock (sync() never waits); a delete that must wait says for whom, and other
    // processes are told that it is this window.
    return openFlowlineStore(home, { label: "VS Code", retentionDays, onWarning: (m) => this.options.onWarning(m) });
  }

  private closeStore(): void {
    const opening = this.opening;
    this.opening = undefined;
    void opening?.store.then((s) => s.close(), () => undefined);
  }

  dispose(): void {
    this.disposed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.watcher?.watcher.dispose();
    this.closeStore();
    this.changed.dispose();
  }
}

function hasData(home: string): boolean {
  if (fs.existsSync(dbPath(home))) return true;
  try {
    return fs.readdirSync(journalDir(home)).some((n) => path.extname(n) === ".ndjson");
  } catch {
    return false;
  }
}
