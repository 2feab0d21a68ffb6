import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Plugin } from "esbuild";
import { writeFileAtomicSync } from "../shared/atomic-write";
import { FLOWLINE_VERSION } from "../shared/version";

// Compiled flow files, so that running an unchanged file again skips esbuild. They live in the user's
// cache folder, never in the workspace: a workspace must not be able to say what its flow file compiles
// to (a planted entry would run code nobody can see). An entry is used only while every file that went
// into it has the same bytes (sha256) as when it was compiled, and it must name the flow file itself.

interface Entry {
  version: string;
  /** [absolute path, sha256 of its bytes] of each input, and of the tsconfig.json files that shaped it. */
  inputs: Array<[string, string]>;
  code: string;
}

/** Entries kept; the least recently used go first (temp files and renamed flows leave entries behind). */
const MAX_ENTRIES = 256;

/** $FLOWLINE_CACHE_DIR, else $XDG_CACHE_HOME/flowline, else %LOCALAPPDATA%\flowline (Windows) or ~/.cache/flowline. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.FLOWLINE_CACHE_DIR?.trim();
  if (own) return path.resolve(own);
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "flowline");
  if (process.platform === "win32" && env.LOCALAPPDATA) return path.join(env.LOCALAPPDATA, "flowline");
  return path.join(os.homedir(), ".cache", "flowline");
}

/** `build/` holds compiled code; `types/` the flows' parameter types (signature-types.ts), kept the same way. */
export type CacheFolder = "build" | "types";

function buildDir(folder: CacheFolder): string {
  return path.join(userCacheDir(), folder);
}

function entryFile(file: string, version: string, folder: CacheFolder): string {
  const id = createHash("sha256").update(`${FLOWLINE_VERSION}\0${version}\0${path.resolve(file)}`).digest("hex").slice(0, 32);
  return path.join(buildDir(folder), `${id}.json`);
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

function hashOf(file: string): string | undefined {
  try {
    return sha256(fs.readFileSync(file));
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

export function readCachedBuild(file: string, version: string, folder: CacheFolder = "build"): string | undefined {
  const where = entryFile(file, version, folder);
  let entry: Partial<Entry>;
  try {
    entry = JSON.parse(fs.readFileSync(where, "utf8")) as Partial<Entry>;
  } catch {
    return undefined;
  }
  const inputs = entry.inputs;
  if (entry.version !== version || typeof entry.code !== "string" || !Array.isArray(inputs)) return undefined;
  // An entry that does not name the flow file among its inputs vouches for nothing.
  if (!inputs.some((input) => Array.isArray(input) && input[0] === path.resolve(file))) return undefined;
  for (const input of inputs) {
    if (!Array.isArray(input) || typeof input[0] !== "string" || hashOf(input[0]) !== input[1]) return undefined;
  }
  // A tsconfig.json that appeared since also changes the build.
  const configs = tsconfigsAbove(path.dirname(path.resolve(file)));
  if (configs.some((c) => !inputs.some(([input]) => input === c))) return undefined;
  touch(where);
  return entry.code;
}

/**
 * Hashes each source file as esbuild reads it, so that an entry records the very bytes that were compiled
 * (a file edited while it compiles is then seen as changed by the next run).
 */
export function sourceHashingPlugin(hashes: Map<string, string>): Plugin {
  return {
    name: "flowline-source-hashes",
    setup(build) {
      build.onLoad({ filter: /\.(?:[cm]?[jt]s|[jt]sx|json)$/ }, async (args) => {
        if (args.namespace !== "file") return undefined;
        const contents = await fs.promises.readFile(args.path);
        hashes.set(args.path, sha256(contents));
        return { contents, loader: loaderOf(args.path) };
      });
    },
  };
}

function loaderOf(file: string): "ts" | "tsx" | "js" | "jsx" | "json" {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".tsx" || ext === ".jsx" || ext === ".json") return ext.slice(1) as "tsx" | "jsx" | "json";
  return /^\.[cm]?ts$/.test(ext) ? "ts" : "js";
}

/** Stores compiled code; `hashes` holds what sourceHashingPlugin saw, other inputs are hashed now. */
export function writeCachedBuild(file: string, version: string, inputs: string[], hashes: ReadonlyMap<string, string>, code: string, folder: CacheFolder = "build"): void {
  const signed: Array<[string, string]> = [];
  for (const input of inputs) {
    const hash = hashes.get(input) ?? hashOf(input);
    if (hash === undefined) return;
    signed.push([input, hash]);
  }
  const entry: Entry = { version, inputs: signed, code };
  try {
    writeFileAtomicSync(entryFile(file, version, folder), JSON.stringify(entry));
    prune(folder);
  } catch {
    // A cache that cannot be written only costs the next run a compile.
  }
}

function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // only the order of pruning depends on it
  }
}

/** Keeps the folder at MAX_ENTRIES, dropping the entries used least recently. */
function prune(folder: CacheFolder): void {
  const dir = buildDir(folder);
  const names = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.map((n) => ({ file: path.join(dir, n), used: fs.statSync(path.join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 }));
  aged.sort((a, b) => a.used - b.used);
  for (const { file } of aged.slice(0, names.length - MAX_ENTRIES)) fs.rmSync(file, { force: true });
}
