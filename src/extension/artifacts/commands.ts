import type { QuickPickItem } from "../vscode-types";
import type { Artifact } from "../../store/types";
import type { ExtensionStore } from "../store-extras";
import type { VSCode } from "../vscode-types";
import { artifactIcon, artifactLabel, shortTime } from "./present";
import type { ArtifactNode } from "./tree";

// The artifact commands' logic: search (a quick pick over key, description and data, queried in the store
// as the user types), and deleting a version, a key or everything, each after a modal confirmation.
// Commands accept a tree node, an artifact id (what the Flow Runs tree passes), or nothing (then ask).

/** Anything a command may be called with. */
export type ArtifactArg = ArtifactNode | string | { id: string } | undefined;

interface ArtifactPick extends QuickPickItem {
  artifact: Artifact;
}

const SEARCH_LIMIT = 200;
const TYPE_DELAY_MS = 120;

export function artifactIdOf(arg: ArtifactArg): string | undefined {
  if (typeof arg === "string") return arg;
  if (!arg || typeof arg !== "object") return undefined;
  if ("kind" in arg) {
    if (arg.kind === "version" || arg.kind === "artifact") return arg.artifact.id;
    if (arg.kind === "key") return arg.summary.latest.id;
    return undefined;
  }
  return typeof arg.id === "string" ? arg.id : undefined;
}

export function keyOf(arg: ArtifactArg): string | undefined {
  if (arg && typeof arg === "object" && "kind" in arg) {
    if (arg.kind === "key") return arg.summary.key;
    if (arg.kind === "version") return arg.artifact.key;
  }
  return typeof arg === "string" ? arg : undefined;
}

function pickItem(a: Artifact, latestOfKey: boolean): ArtifactPick {
  const description = a.description?.split("\n").find((l) => l.trim() !== "")?.trim();
  return {
    label: `$(${artifactIcon(a.type)}) ${artifactLabel(a)}`,
    description: `${a.type}${a.key && latestOfKey ? " · latest" : ""} · ${shortTime(a.created)}`,
    detail: description,
    // The store already matched key, description and data; VS Code's own filter would hide data matches.
    alwaysShow: true,
    artifact: a,
  };
}

/** A quick pick that searches artifacts in the store as the user types. Resolves to the chosen one. */
export function pickArtifact(vscode: VSCode, store: ExtensionStore, title: string): Promise<Artifact | undefined> {
  const qp = vscode.window.createQuickPick<ArtifactPick>();
  qp.title = title;
  qp.placeholder = "Search keys, descriptions and data (tables, markdown, links)";
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The latest search: an older one that answers later is dropped. */
  let searches = 0;
  const load = async (text: string) => {
    const search = ++searches;
    qp.busy = true;
    try {
      let items: ArtifactPick[];
      if (text.trim() === "") {
        const [keys, unkeyed] = await Promise.all([store.listArtifactKeys(), store.listArtifacts({ keyed: false, includeData: false, limit: SEARCH_LIMIT })]);
        items = [...keys.slice(0, SEARCH_LIMIT).map((k) => pickItem(k.latest, true)), ...unkeyed.map((a) => pickItem(a, false))];
      } else {
        items = (await store.listArtifacts({ text, includeData: false, limit: SEARCH_LIMIT })).map((a) => pickItem(a, false));
      }
      if (search === searches) qp.items = items;
    } catch (err) {
      if (search === searches) qp.items = [];
      void vscode.window.showErrorMessage(`Could not search artifacts: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (search === searches) qp.busy = false;
    }
  };
  return new Promise((resolve) => {
    qp.onDidChangeValue((text) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void load(text), TYPE_DELAY_MS);
    });
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.artifact);
      qp.hide();
    });
    qp.onDidHide(() => {
      if (timer) clearTimeout(timer);
      resolve(undefined);
      qp.dispose();
    });
    void load("");
    qp.show();
  });
}

export async function pickKey(vscode: VSCode, store: ExtensionStore, title: string): Promise<string | undefined> {
  const items = (await store.listArtifactKeys()).map((k) => ({
    label: `$(${artifactIcon(k.latest.type)}) ${k.key}`,
    description: `${k.versions} ${k.versions === 1 ? "version" : "versions"} · ${shortTime(k.latest.created)}`,
    key: k.key,
  }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage("There are no artifact keys.");
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title, placeHolder: "Choose a key" }))?.key;
}

async function confirm(vscode: VSCode, message: string, detail: string): Promise<boolean> {
  const answer = await vscode.window.showWarningMessage(message, { modal: true, detail }, "Delete");
  return answer === "Delete";
}

/** Deletes one artifact version (asking which when not given). Returns whether it deleted. */
export async function deleteArtifact(vscode: VSCode, store: ExtensionStore, arg: ArtifactArg): Promise<boolean> {
  const id = artifactIdOf(arg) ?? (await pickArtifact(vscode, store, "Delete Artifact"))?.id;
  if (!id) return false;
  // Read in the worker without its data (a table's rows would cross for nothing).
  const a = await store.artifactMeta(id);
  if (!a) {
    void vscode.window.showWarningMessage("That artifact was already deleted.");
    return false;
  }
  let what = `this ${a.type} artifact (${artifactLabel(a)})`;
  if (a.key !== undefined) {
    const versions = await store.getArtifactVersions(a.key, { includeData: false });
    const i = versions.findIndex((v) => v.id === id);
    what = `version ${versions.length - i} of '${a.key}'`;
    if (i === 0 && versions.length > 1) what += " (its latest; the previous version becomes the latest)";
  }
  if (!(await confirm(vscode, `Delete ${what}?`, `Created ${a.created}. This cannot be undone.`))) return false;
  return store.deleteArtifact(id);
}

/** Deletes every version of a key (asking which when not given). Returns how many went. */
export async function deleteArtifactKey(vscode: VSCode, store: ExtensionStore, arg: ArtifactArg): Promise<number> {
  const key = keyOf(arg) ?? (await pickKey(vscode, store, "Delete All Versions of Key"));
  if (!key) return 0;
  const n = (await store.getArtifactVersions(key, { includeData: false })).length;
  if (n === 0) return 0;
  if (!(await confirm(vscode, `Delete all ${n} ${n === 1 ? "version" : "versions"} of '${key}'?`, "This cannot be undone."))) return 0;
  return store.deleteArtifactKey(key);
}

/** Deletes every artifact after a modal confirmation, with a cancellable progress notification. */
export async function clearArtifacts(vscode: VSCode, store: ExtensionStore): Promise<number> {
  const keys = await store.listArtifactKeys();
  const unkeyed = await listUnkeyed(store);
  const total = keys.reduce((n, k) => n + k.versions, 0) + unkeyed.length;
  if (total === 0) {
    void vscode.window.showInformationMessage("There are no artifacts to clear.");
    return 0;
  }
  const detail = `${keys.length} ${keys.length === 1 ? "key" : "keys"} with all their versions, and ${unkeyed.length} unkeyed. Runs and their results stay. This cannot be undone.`;
  if (!(await confirm(vscode, `Delete all ${total} artifacts?`, detail))) return 0;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Clearing artifacts", cancellable: true },
    async (progress, token) => {
      // One store write a key (and one an unkeyed artifact): the store has no bulk delete yet.
      let deleted = 0;
      const steps = keys.length + unkeyed.length;
      for (const k of keys) {
        if (token.isCancellationRequested) return deleted;
        deleted += await store.deleteArtifactKey(k.key);
        progress.report({ increment: 100 / steps, message: `${deleted} of ${total}` });
      }
      for (const a of unkeyed) {
        if (token.isCancellationRequested) return deleted;
        if (await store.deleteArtifact(a.id)) deleted++;
        progress.report({ increment: 100 / steps, message: `${deleted} of ${total}` });
      }
      return deleted;
    },
  );
}

/** Every unkeyed artifact (without data), read a page at a time so no one message is big. */
async function listUnkeyed(store: ExtensionStore): Promise<Artifact[]> {
  const PAGE = 2000;
  const all: Artifact[] = [];
  for (;;) {
    const page = await store.listArtifacts({ keyed: false, includeData: false, limit: PAGE, offset: all.length });
    all.push(...page);
    if (page.length < PAGE) return all;
  }
}
