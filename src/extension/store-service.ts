import * as fs from "node:fs";
import * as path from "node:path";
import { dbPath, journalDir } from "../shared/home";
import { Emitter, type Disposable } from "./emitter";
import { HomeWatcher } from "./home-watcher";
import type { ExtensionStore, WorkerMemory } from "./store-extras";

// The extension's access to the Flowline store. The store lives in a worker thread (dist/store-worker.js):
// sql.js, folding journals, reading segments and retention all run there, never on the extension host's
// thread, and every call is a message. Nothing heavy happens before it is needed: the worker starts on
// the first `get()`, the home is watched from then on (or from the first `watch()`, when a view is
// shown), and journals are folded (`store.sync()`) on a short throttle, so runs started in a terminal or
// another window show up by themselves.

export interface StoreServiceOptions {
  home(): string;
  /** The worker's entry, dist/store-worker.js. */
  workerFile: string;
  /** sql-wasm.wasm shipped next to the bundle. */
  wasmPath?: string;
  /** flowline.retentionDays: the worker's sync applies it (0: off). A change reopens the store. */
  retentionDays?(): number;
  onWarning(message: string): void;
  /** Delay before folding journals after they changed (coalesces a run's many appends). */
  syncDelayMs?: number;
  /** Team mode's PostgreSQL URL (flowline.databaseUrl, else $FLOWLINE_DATABASE_URL); undefined: the local store. */
  databaseUrl?(): string | undefined;
}

export class StoreService implements Disposable {
  private readonly changed = new Emitter<void>();
  /** Fires after the database changed (folded here, or written by another process). */
  readonly onDidChange = this.changed.event;
  private opening: { home: string; retentionDays: number; url?: string; store: Promise<ExtensionStore>; exited: Promise<void> } | undefined;
  private watcher: { home: string; url?: string; watcher: Disposable } | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing = false;
  private syncAgain = false;
  private disposed = false;

  constructor(private readonly options: StoreServiceOptions) {}

  get home(): string {
    return this.options.home();
  }

  /** The store, opened on first use (creating the home folder). */
  get(): Promise<ExtensionStore> {
    const home = this.home;
    const retentionDays = this.options.retentionDays?.() ?? 0;
    const url = this.options.databaseUrl?.();
    if (this.opening?.home !== home || this.opening.retentionDays !== retentionDays || this.opening.url !== url) {
      void this.closeStore();
      const { store, exited } = url ? openTeamStore(home, url) : this.open(home, retentionDays);
      this.opening = { home, retentionDays, url, store, exited };
      store.catch(() => {
        if (this.opening?.store === store) this.opening = undefined;
      });
    }
    this.watch();
    return this.opening.store;
  }

  /** The store if there is anything to show (a database or journals), without creating the home. */
  async peek(): Promise<ExtensionStore | undefined> {
    this.watch();
    if (this.options.databaseUrl?.()) return this.get();
    if (this.opening?.home !== this.home && !hasData(this.home)) return undefined;
    return this.get();
  }

  /** What the worker holds (its heap, and memory outside it such as sql.js's), when the store is open. */
  async memory(): Promise<WorkerMemory | undefined> {
    const opening = this.opening;
    if (!opening) return undefined;
    try {
      return await (await opening.store).memoryUsage();
    } catch {
      return undefined;
    }
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
    const url = this.options.databaseUrl?.();
    if (this.disposed || (this.watcher?.home === home && this.watcher.url === url)) return;
    this.watcher?.watcher.dispose();
    if (url) {
      // Team mode: PostgreSQL tells of every commit (LISTEN/NOTIFY); there is nothing to watch or fold.
      this.watcher = { home, url, watcher: listenTeam(url, () => this.changed.fire(), (m) => this.options.onWarning(m)) };
      return;
    }
    const watcher = new HomeWatcher(home, {
      onDatabase: () => this.changed.fire(),
      // Folding needs the store; before anything opened it, a journal means a run in a terminal: open now.
      onJournal: () => this.scheduleSync(),
    });
    this.watcher = { home, watcher };
  }

  /** The home setting changed: close the old store and watch the new home. */
  homeChanged(): void {
    void this.closeStore();
    if (this.watcher) this.watch();
    this.changed.fire();
  }

  private open(home: string, retentionDays: number): { store: Promise<ExtensionStore>; exited: Promise<void> } {
    // Loaded here, not at activation (esbuild keeps a lazy require lazy).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { workerStore } = require("../store/worker-client") as typeof import("../store/worker-client");
    const { overWorker } = require("./store-extras") as typeof import("./store-extras");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const { workerFile, wasmPath } = this.options;
    // Its trees fold without waiting for another process's lock (sync() never waits); a delete that must
    // wait says for whom, and other processes are told that it is this window.
    const worker = workerStore(home, {
      workerFile,
      wasmPath: wasmPath && fs.existsSync(wasmPath) ? wasmPath : undefined,
      label: "VS Code",
      retentionDays,
      onWarning: (m) => this.options.onWarning(m),
    });
    const store = worker.ready.then(
      () => overWorker(worker),
      (err: unknown) => {
        worker.close();
        throw err;
      },
    );
    return { store, exited: worker.exited };
  }

  /** Closes the store; resolves once its worker has stopped (its last write done). */
  private closeStore(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    if (!opening) return Promise.resolve();
    void opening.store.then((s) => s.close(), () => undefined);
    return opening.exited;
  }

  /** Disposes of the service; resolves once the store's worker has stopped. */
  close(): Promise<void> {
    this.disposed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.watcher?.watcher.dispose();
    this.changed.dispose();
    return this.closeStore();
  }

  dispose(): void {
    void this.close();
  }
}

/** Team mode's store: PostgreSQL, read from this thread (its driver never blocks it). */
function openTeamStore(home: string, url: string): { store: Promise<ExtensionStore>; exited: Promise<void> } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { openPgStore } = require("../team/pg-store") as typeof import("../team/pg-store");
  const { inProcessStore } = require("./store-extras") as typeof import("./store-extras");
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { store: openPgStore(home, url).then(inProcessStore), exited: Promise.resolve() };
}

function listenTeam(url: string, onChange: () => void, onWarning: (message: string) => void): Disposable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { listenForChanges } = require("../team/pg-listen") as typeof import("../team/pg-listen");
  const listener = listenForChanges(url, onChange, (err) => onWarning(`Lost the team database's change feed (${err.message}); reconnecting.`));
  return { dispose: () => listener.close() };
}

function hasData(home: string): boolean {
  if (fs.existsSync(dbPath(home))) return true;
  try {
    return fs.readdirSync(journalDir(home)).some((n) => path.extname(n) === ".ndjson");
  } catch {
    return false;
  }
}
