import * as path from "node:path";
import { parseWriterTag, writerTag, type ProcessIdentity } from "./process-identity";

// Where Flowline keeps its data: $FLOWLINE_HOME, else `.flowline` in the given folder
// (the CLI's current folder, the extension's workspace folder).
export function resolveHome(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FLOWLINE_HOME;
  if (fromEnv && fromEnv.trim() !== "") return path.resolve(cwd, fromEnv);
  return path.join(cwd, ".flowline");
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
