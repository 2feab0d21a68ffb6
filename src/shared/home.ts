import * as fs from "node:fs";
import * as path from "node:path";
import { parseWriterTag, writerTag, type ProcessIdentity } from "./process-identity";

// Where Flowline keeps its data: $FLOWLINE_HOME, else `.flowline` in the given folder. The engine's default
// when no parent told it a home; the CLI and the extension find theirs with findHome.
export function resolveHome(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FLOWLINE_HOME;
  if (fromEnv && fromEnv.trim() !== "") return path.resolve(cwd, fromEnv);
  return path.join(cwd, ".flowline");
}

/** A home and why it was chosen (`flowline home` prints both). */
export interface HomeChoice {
  home: string;
  reason: string;
}

export interface FindHomeOptions {
  /** Where the search starts: the flow file's folder (else the current or workspace folder). */
  start: string;
  /** The fallback when no git repository holds `start`: the CLI's current folder, the window's workspace folder. */
  root: string;
  /** How `root` is named in the reason ("the current folder", "the workspace folder"). */
  rootLabel: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The home, found as git finds `.git`, so a terminal run and the window showing that flow agree:
 * $FLOWLINE_HOME; else the nearest existing `.flowline` from `start` upward, up to the git repository's root
 * (or up to `root` when no repository holds `start`); else `.flowline` in the repository's root, else in `root`.
 * The walk stops at the repository so an unrelated `~/.flowline` never captures a project's runs.
 */
export function findHome(options: FindHomeOptions): HomeChoice {
  const { root, rootLabel, env = process.env } = options;
  const fromEnv = env.FLOWLINE_HOME?.trim();
  if (fromEnv) return { home: path.resolve(root, fromEnv), reason: "$FLOWLINE_HOME is set" };
  const start = path.resolve(options.start);
  const repository = repositoryRoot(start);
  const top = repository ?? (isInside(start, path.resolve(root)) ? path.resolve(root) : start);
  for (const dir of ancestors(start)) {
    const candidate = path.join(dir, ".flowline");
    if (isDirectory(candidate)) return { home: candidate, reason: `the nearest existing .flowline above ${start}` };
    if (dir === top) break;
  }
  if (repository) return { home: path.join(repository, ".flowline"), reason: `no .flowline yet: the root of the git repository holding ${start}` };
  return { home: path.join(path.resolve(root), ".flowline"), reason: `no .flowline yet and no git repository: ${rootLabel}` };
}

/** The root of the git repository that holds `dir` (the nearest folder with a `.git`), if any. */
export function repositoryRoot(dir: string): string | undefined {
  return ancestors(path.resolve(dir)).find((d) => fs.existsSync(path.join(d, ".git")));
}

/** `dir`, its parent, ..., the file system's root. */
function ancestors(dir: string): string[] {
  const out = [dir];
  for (let parent = path.dirname(dir); parent !== out[out.length - 1]; parent = path.dirname(parent)) out.push(parent);
  return out;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function storageDir(home: string): string {
  return path.join(home, "storage");
}

export function journalDir(home: string): string {
  return path.join(home, "journal");
}

export function dbPath(home: string): string {
  return path.join(home, "flowline.db");
}

/** Where result writes keep their temp files, so the store can remove those of writers that were killed. */
export function storageTempDir(home: string): string {
  return path.join(storageDir(home), ".flowline-tmp");
}

/**
 * A new journal's file name: `<pid>-<start>r<random>.ndjson` (writerTag), so a reader can tell whether its
 * writer still runs, even once the pid belongs to another process. Flowline 1.0 wrote `<pid>-<random>`;
 * both match `<digits>-<letters and digits>.ndjson`, so each version still reads the other's journals.
 */
export function journalFileName(random: string): string {
  return `${writerTag()}${random}.ndjson`;
}

/** The process that writes a journal, from its file name; undefined when the name is not a journal's. */
export function journalWriter(fileName: string): ProcessIdentity | undefined {
  return /^\d+-[A-Za-z0-9]+\.ndjson$/.test(fileName) ? parseWriterTag(fileName) : undefined;
}
