import * as fs from "node:fs";
import * as path from "node:path";
import Module from "node:module";
import type { BuildFailure, Message } from "esbuild";
import { UserError } from "../engine/errors";
import { pathToFileURL } from "node:url";
import { readCachedBuild, sourceHashingPlugin, tsconfigsAbove, writeCachedBuild } from "./build-cache";
import { ENGINE_PLACEHOLDER, ESM_MARK, esmBundleName, esmOnlyPackages, importEsmBundle, isTopLevelAwait } from "./esm-load";

// Loads a user's flow file (TS or JS, ESM or CJS syntax) in this process: esbuild bundles the file and
// the workspace files it imports into one CommonJS module, leaving packages external so they resolve
// from the workspace's node_modules; `flowline` resolves to the engine this process already loaded, so
// the user's flows and the runner share one engine (one runtime context). A file that needs ES module
// loading (a top-level await, an import of a package that has only an `import` export) is bundled as an
// ES module instead and imported from a short-lived file beside it, so its packages resolve as Node's
// own loader resolves them (esm-load.ts).

const SUPPORTED = new Set([".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"]);

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

let hooked = false;
/** The engine file `flowline` stands for (set by aliasFlowline): an ES module bundle imports it by path. */
let engineFile: string | undefined;

/** The engine file flow files load as `flowline` in this process. */
export function flowlineEngineFile(): string {
  return engineFile ?? require.resolve("flowline");
}

/** Makes `require("flowline")` from any user module load the given engine file. */
export function aliasFlowline(enginePath: string): void {
  if (hooked) return;
  hooked = true;
  engineFile = enginePath;
  const mod = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request, parent, isMain, options) {
    if (request === "flowline") return enginePath;
    return original.call(this, request, parent, isMain, options);
  };
}

/** Loads a flow file; with `useCache`, an unchanged file's compiled code is reused from the build cache. */
export async function loadFlowFile(file: string, useCache = false): Promise<Record<string, unknown>> {
  const ext = path.extname(file).toLowerCase();
  if (!fs.existsSync(file)) throw new UserError(`No such flow file: ${file}. Check the path.`);
  if (!fs.statSync(file).isFile()) throw new UserError(`${file} is not a file; give the path of a .ts or .js flow file.`);
  if (!SUPPORTED.has(ext)) throw new UserError(`${file} is not a TypeScript or JavaScript file (${[...SUPPORTED].join(", ")}).`);

  const code = await compile(file, useCache);
  const filename = path.resolve(file);
  if (code.startsWith(ESM_MARK)) return importEsmBundle(filename, code, flowlineEngineFile());
  const m = new Module(filename, undefined) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  m.filename = filename;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(filename));
  m._compile(code, filename);
  m.loaded = true;
  return m.exports as Record<string, unknown>;
}

async function compile(file: string, useCache: boolean): Promise<string> {
  const cacheVersion = `${process.version}`;
  if (useCache) {
    const cached = readCachedBuild(file, cacheVersion);
    if (cached !== undefined) return cached;
  }
  const dir = path.dirname(path.resolve(file));
  const hashes = new Map<string, string>();
  const esmOnly: string[] = [];
  try {
    let result = await bundle(file, "cjs", useCache, hashes, esmOnly).catch((err: unknown) => {
      if (!isTopLevelAwait(err)) throw err;
      return undefined;
    });
    if (result === undefined || esmOnly.length > 0) result = await bundle(file, "esm", useCache, hashes, []);
    const code = (result.format === "esm" ? ESM_MARK : "") + result.build.outputFiles[0].text;
    if (useCache) {
      const inputs = Object.keys(result.build.metafile.inputs).filter((p) => !p.includes(":")).map((p) => path.resolve(dir, p));
      writeCachedBuild(file, cacheVersion, [...new Set([path.resolve(file), ...inputs, ...tsconfigsAbove(dir)])], hashes, code);
    }
    return code;
  } catch (err) {
    throw new UserError(describeBuildFailure(err, dir));
  }
}

async function bundle(file: string, format: "cjs" | "esm", useCache: boolean, hashes: Map<string, string>, esmOnly: string[]) {
  const esbuild = await import("esbuild");
  const dir = path.dirname(path.resolve(file));
  const esm = format === "esm";
  const header = esm
    ? `import { createRequire as __flowline_cr } from "node:module"; const require = __flowline_cr(${JSON.stringify(path.resolve(file))}); const __filename = ${JSON.stringify(path.resolve(file))}; const __dirname = ${JSON.stringify(dir)}; var __flowline_import_meta_url = ${JSON.stringify(pathToFileURL(path.resolve(file)).href)};`
    : 'var __flowline_import_meta_url = require("node:url").pathToFileURL(__filename).href;';
  const build = await esbuild.build({
    metafile: true,
      entryPoints: [path.resolve(file)],
      bundle: true,
      write: false,
      platform: "node",
      format,
      target: "node20",
      packages: "external",
      // Always the engine this process runs, even where a tsconfig maps "flowline" to a source path.
      plugins: [
        { name: "flowline-external", setup: (b) => b.onResolve({ filter: /^flowline$/ }, () => ({ path: esm ? ENGINE_PLACEHOLDER : "flowline", external: true })) },
        esmOnlyPackages(esmOnly),
        ...(useCache ? [sourceHashingPlugin(hashes)] : []),
      ],
      sourcemap: "inline",
      sourcesContent: false,
      keepNames: true,
      logLevel: "silent",
      // Not written: it only places the source map's paths relative to the user's folder.
      outfile: path.join(dir, esm ? esmBundleName(file) : "__flowline_bundle__.js"),
      absWorkingDir: dir,
      define: { "import.meta.url": "__flowline_import_meta_url", "import.meta.dirname": "__dirname", "import.meta.filename": "__filename" },
      banner: { js: header },
  });
  return { build, format };
}

function describeBuildFailure(err: unknown, dir: string): string {
  const errors: Message[] = (err as BuildFailure).errors ?? [];
  if (errors.length === 0) return `The flow file could not be compiled: ${(err as Error).message}`;
  const first = errors[0];
  const text = first.text;
  const where = first.location ? `${path.relative(process.cwd(), path.resolve(dir, first.location.file))}:${first.location.line}:${first.location.column + 1}: ` : "";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
  return `${where}${text}${more}`;
}
