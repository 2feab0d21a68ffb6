import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { journalDir } from "../../src/shared/home";
import { inProcessStore, type ExtensionStore } from "../../src/extension/store-extras";
import { openStore, type Store } from "../../src/store";

// A real store in a temporary home, filled the way engines fill it: events appended to a journal, then
// folded by sync(). Used by the tree and panel-host tests and by bench/webview.mjs.

const T0 = Date.parse("2025-03-01T10:00:00.000Z");
export const at = (ms: number): string => new Date(T0 + ms).toISOString();

export type FixtureEvent = Record<string, unknown> & { e: string };

export interface StoreFixture {
  home: string;
  store: Store;
  /** The same store as the extension's views and panels use it (their worker's reads run here). */
  ext: ExtensionStore;
  /** Appends events and folds them (as a run in another process would, then the extension's sync). */
  add(events: FixtureEvent[]): Promise<void>;
  close(): void;
}

let journals = 0;

export async function storeWith(events: FixtureEvent[] = []): Promise<StoreFixture> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-artifacts-"));
  const store = await openStore(home);
  const add = async (more: FixtureEvent[]) => {
    if (more.length === 0) return;
    fs.mkdirSync(journalDir(home), { recursive: true });
    // A dead pid's name, closed: sync folds it and deletes it.
    const file = path.join(journalDir(home), `1-fixture${journals++}.ndjson`);
    fs.writeFileSync(file, [...more, { e: "close", ts: at(0) }].map((e) => JSON.stringify(e)).join("\n") + "\n");
    await store.sync();
  };
  await add(events);
  return {
    home,
    store,
    ext: inProcessStore(store),
    add,
    close: () => {
      store.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export function flowRunEvent(id: string, name: string, flowName: string, ms = 0): FixtureEvent {
  return { e: "flow_run", id, name, flowName, parameters: {}, tags: [], created: at(ms), expectedStartTime: at(ms), pid: 1 };
}

export function artifactEvent(id: string, type: string, data: unknown, extra: Record<string, unknown> = {}, ms = 0): FixtureEvent {
  return { e: "artifact", id, type, data, created: at(ms), ...extra };
}
