import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomicSync } from "../engine/atomic-write";
import { FLOWLINE_VERSION } from "../engine/serializer";

// Compiled flow files, kept under <home>/cache/build so that running the same unchanged file again
// skips esbuild (and the start of its process). An entry is used only when every file that went into
// it still has the size and modification time it had.

interface Entry {
  version: string;
  /** [absolute path, mtimeMs, size] of each input, and of the tsconfig.json files that shaped it. */
  inputs: Array<[string, number, number]>;
  code: string;
}

function entryFile(home: string, file: string): string {
  const id = createHash("sha256").update(`${FLOWLINE_VERSION}\0${path.resolve(file)}`).digest("hex").slice(0, 24);
  return path.join(home, "cache", "build", `${id}.json`);
}

function signature(file: string): [string, number, number] | undefined {
  try {
    const st = fs.statSync(file);
    return [file, st.mtimeMs, st.size];
  } catch {
    return undefined;
  }
}

/** The tsconfig.json files esbuild may have read, from the file's folder up. */
export function tsconfigsAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, "tsconfig.json");
    if (fs.existsSync(candidate)) found.push(candidate);
    if (path.dirname(d) === d) return found;
  }
}

export function readCachedBuild(home: string, file: string, version: string): string | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(fs.readFileSync(entryFile(home, file), "utf8")) as Entry;
  } catch {
    return undefined;
  }
  if (entry.version !== version || !Array.isArray(entry.inputs)) return undefined;
  for (const [input, mtimeMs, size] of entry.inputs) {
    const now = signature(input);
    if (!now || now[1] !== mtimeMs || now[2] !== size) return undefined;
  }
  // A tsconfig.json that appeared since also changes the build.
  const configs = tsconfigsAbove(path.dirname(path.resolve(file)));
  if (configs.some((c) => !entry.inputs.some(([input]) => input === c))) return undefined;
  return entry.code;
}

export function writeCachedBuild(home: string, file: string, version: string, inputs: string[], code: string): void {
  const signatures = inputs.map(signature);
  if (signatures.some((s) => s === undefined)) return;
  const entry: Entry = { version, inputs: signatures as Array<[string, number, number]>, code };
  try {
    writeFileAtomicSync(entryFile(home, file), JSON.stringify(entry));
  } catch {
    // A cache that cannot be written only costs the next run a compile.
  }
}
