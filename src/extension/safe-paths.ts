import * as fs from "node:fs";
import * as path from "node:path";
import { storageDir } from "../shared/home";
import { resolveStoragePath } from "../engine/storage-key";
import type { VSCode } from "./vscode-types";

// Paths that come from the database (or from a run's error) before the extension opens them. A journal
// shipped with an untrusted workspace can say anything: a result key of `../../../secret.txt`, a flow
// file in /tmp, a symlink out of the project. Each path is checked against the folder it belongs to, with
// symlinks resolved, and refused with a reason a person can read; nothing is opened on the way.

export type Checked = { path: string } | { refused: string };

const isInside = (folder: string, p: string): boolean => {
  const rel = path.relative(folder, p);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
};

function realPath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * An existing file inside one of `folders`, compared by real paths (a symlink inside that leads out is
 * outside). Returns the real path, or whether the file is missing or outside.
 */
export function fileInFolders(file: string, folders: readonly string[]): { path: string } | { problem: "missing" | "outside" } {
  const real = realPath(file);
  if (real === undefined || !fs.statSync(real, { throwIfNoEntry: false })?.isFile()) return { problem: "missing" };
  const inside = folders.some((folder) => {
    const root = realPath(folder);
    return root !== undefined && isInside(root, real);
  });
  return inside ? { path: real } : { problem: "outside" };
}

/** The workspace's folders on disk. */
export function workspaceFolders(vscode: VSCode): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
}

/** The folders of the project: its workspace folders and the folder that holds the Flowline home. */
export function projectFolders(vscode: VSCode, home: string): string[] {
  return [...new Set([...workspaceFolders(vscode), path.dirname(home)])];
}

/** The file a stored result key names, through the resolver results are written with (storage-key.ts). */
export function resultFile(home: string, key: string): Checked {
  const dir = storageDir(home);
  let file: string;
  try {
    file = resolveStoragePath(dir, key);
  } catch (err) {
    // The resolver speaks of writing; here nothing is opened.
    const why = err instanceof Error ? err.message.replace(/; nothing was written\.$/, ".") : String(err);
    return { refused: `${why} Results open only from the storage folder ${dir}.` };
  }
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return { refused: `The result file ${file} is gone.` };
  return { path: file };
}

/**
 * A flow file named by a stored run (rerun) or a run's error (Go to error): only inside the project's
 * folders (the workspace folders and the folder that holds the Flowline home).
 */
export function projectFile(file: string, folders: readonly string[], what: string): Checked {
  if (!path.isAbsolute(file)) return { refused: `${what} ${JSON.stringify(file)} is not an absolute path; it is not opened.` };
  const found = fileInFolders(file, folders);
  if ("path" in found) return { path: file };
  if (found.problem === "missing") return { refused: `${what} ${file} is gone.` };
  return { refused: `${what} ${file} is outside this project (${folders.join(", ")}); Flowline opens and runs only files inside it.` };
}
