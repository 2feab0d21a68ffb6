import * as path from "node:path";

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

/** Journal files are named `<pid>-<random>.ndjson` so a reader can tell whether the writer is alive. */
export function journalPid(fileName: string): number | undefined {
  const m = /^(\d+)-[A-Za-z0-9]+\.ndjson$/.exec(fileName);
  return m ? Number(m[1]) : undefined;
}
