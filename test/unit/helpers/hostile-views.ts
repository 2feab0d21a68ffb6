import { RunManager } from "../../../src/extension/run-manager";
import type { StoreService } from "../../../src/extension/store-service";
import { testStoreService } from "../../fake-vscode";
import { ensureBuilt } from "./build";
import { hostileHome, type HostileHome } from "./hostile-home";

/** The hostile home opened as a window's views read it: its store service, and a run manager that runs nothing. */
export interface HostileViews {
  h: HostileHome;
  store: StoreService;
  runs: RunManager;
  close(): Promise<void>;
}

export async function hostileViews(): Promise<HostileViews> {
  const h = hostileHome();
  ensureBuilt();
  const store = testStoreService(() => h.home);
  await store.sync();
  const runs = new RunManager({ environment: () => { throw new Error("no runs here"); }, store, log: console as never, flowlineDirs: [], isTrusted: () => false });
  return {
    h,
    store,
    runs,
    async close() {
      runs.dispose();
      await store.close();
      h.cleanup();
    },
  };
}
