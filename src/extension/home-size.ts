import type { Disposable } from "./emitter";
import type { StoreService } from "./store-service";
import type { ExtensionContext, VSCode } from "./vscode-types";

// The home's size in the Flow Runs view's description ("home 1.2 GB"), measured in the store's worker
// when the view is shown and after the store changed, at most once every MEASURE_EVERY_MS. Past HOME_SIZE_OFFER_BYTES, while
// flowline.retentionDays is 0, it offers once per workspace to turn retention on; the setting changes
// only when the user clicks the action.

/** Above this the extension offers to set flowline.retentionDays: 1 GiB. */
export const HOME_SIZE_OFFER_BYTES = 1024 ** 3;
/** Days offered for flowline.retentionDays. */
export const OFFERED_RETENTION_DAYS = 30;
const MEASURE_EVERY_MS = 30_000;
/** workspaceState key: the offer was made in this workspace. */
export const RETENTION_OFFERED_KEY = "flowline.retentionOffered";

export interface HomeSizeOptions {
  /** Where the size is shown: the Flow Runs TreeView. */
  view: { description?: string; readonly visible: boolean; onDidChangeVisibility(listener: (e: { visible: boolean }) => unknown): Disposable };
  workspaceState: ExtensionContext["workspaceState"];
  retentionDays(): number;
  /** Default HOME_SIZE_OFFER_BYTES. */
  offerAboveBytes?: number;
  /** Default 30 s. */
  measureEveryMs?: number;
}

export class HomeSizeMonitor implements Disposable {
  private readonly subscriptions: Disposable[];
  private timer: NodeJS.Timeout | undefined;
  private lastMeasured = 0;
  private measuring: Promise<void> | undefined;
  private disposed = false;

  constructor(
    private readonly vscode: VSCode,
    private readonly store: StoreService,
    private readonly options: HomeSizeOptions,
  ) {
    this.subscriptions = [store.onDidChange(() => this.schedule()), options.view.onDidChangeVisibility((e) => e.visible && this.schedule())];
    if (options.view.visible) this.schedule();
  }

  /** Measures soon: now if the last measure is old enough, else when it is. */
  schedule(): void {
    if (this.timer || this.disposed) return;
    const wait = Math.max(0, this.lastMeasured + (this.options.measureEveryMs ?? MEASURE_EVERY_MS) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.measure();
    }, wait);
    this.timer.unref?.();
  }

  /** Measures the home now (in the worker) and updates the description; resolves when done. */
  measure(): Promise<void> {
    this.measuring ??= this.measureOnce().finally(() => (this.measuring = undefined));
    return this.measuring;
  }

  private async measureOnce(): Promise<void> {
    this.lastMeasured = Date.now();
    let bytes: number;
    try {
      const store = await this.store.peek();
      if (!store) return;
      bytes = await store.homeSize();
    } catch {
      return; // the views say what is wrong with the store
    }
    if (this.disposed) return;
    this.options.view.description = `home ${formatBytes(bytes)}`;
    if (bytes > (this.options.offerAboveBytes ?? HOME_SIZE_OFFER_BYTES)) await this.offerRetention(bytes);
  }

  private async offerRetention(bytes: number): Promise<void> {
    const { workspaceState } = this.options;
    if (this.options.retentionDays() > 0 || workspaceState.get<boolean>(RETENTION_OFFERED_KEY)) return;
    // Once per workspace, whatever the answer: a notification that comes back is a nag.
    await workspaceState.update(RETENTION_OFFERED_KEY, true);
    const { window, workspace, ConfigurationTarget } = this.vscode;
    const keep = `Keep ${OFFERED_RETENTION_DAYS} Days`;
    const choose = "Choose in Settings";
    const answer = await window.showInformationMessage(
      `Flowline: the Flowline home takes ${formatBytes(bytes)}. Delete flow runs and artifacts older than ${OFFERED_RETENTION_DAYS} days automatically (flowline.retentionDays)?`,
      keep,
      choose,
    );
    if (answer === keep) {
      const target = workspace.workspaceFolders?.length ? ConfigurationTarget.Workspace : ConfigurationTarget.Global;
      await workspace.getConfiguration("flowline").update("retentionDays", OFFERED_RETENTION_DAYS, target);
    } else if (answer === choose) {
      await this.vscode.commands.executeCommand("workbench.action.openSettings", "flowline.retentionDays");
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}

/** 512 B, 12.3 KB, 4.5 MB, 1.2 GB (powers of 1024). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
