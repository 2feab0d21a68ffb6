import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";

// Flow files that need ES module loading: a top-level await (CommonJS cannot have one), or an import of a
// package that has only an `import` export (Node 20's require refuses it). Such a file is bundled as an
// ES module and imported from a short-lived file beside the flow file, so that its packages resolve from
// the flow's own node_modules as Node's loader resolves them, and source maps point at the user's files.

/** Starts compiled code that is an ES module (the build cache keeps it with this mark). */
export const ESM_MARK = "//flowline:esm\n";
/** Where the engine's path goes in an ES module bundle: put in at load time, so a cached bundle names no install. */
export const ENGINE_PLACEHOLDER = "flowline-engine:";

export function isTopLevelAwait(err: unknown): boolean {
  const errors = (err as { errors?: Array<{ text: string }> }).errors ?? [];
  return errors.length > 0 && errors.every((e) => /Top-level await is currently not supported/.test(e.text));
}

/** A hidden name beside the flow file, unique to this load. */
export function esmBundleName(file: string): string {
  return `.${path.basename(file)}.flowline-${process.pid}-${randomBytes(4).toString("hex")}.mjs`;
}

/** Notes, in `found`, the packages the file imports that `require` cannot load (ESM-only ones). */
export function esmOnlyPackages(found: string[]): Plugin {
  return {
    name: "flowline-esm-only",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path === "flowline" || args.path.startsWith("node:") || args.kind === "entry-point") return undefined;
        if (requireCannotLoad(args.path, args.resolveDir)) found.push(args.path);
        return undefined;
      });
    },
  };
}

function requireCannotLoad(specifier: string, from: string): boolean {
  let resolved: string;
  try {
    resolved = require.resolve(specifier, { paths: [from] });
  } catch (err) {
    // Exported only under `import`; a missing package is told at run time, as in a CommonJS load.
    return (err as NodeJS.ErrnoException).code === "ERR_PACKAGE_PATH_NOT_EXPORTED";
  }
  if (resolved.endsWith(".mjs")) return true;
  if (!resolved.endsWith(".js")) return false;
  for (let dir = path.dirname(resolved); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (!fs.existsSync(manifest)) continue;
    try {
      return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { type?: unknown }).type === "module";
    } catch {
      return false;
    }
  }
  return false;
}

/** Imports an ES module bundle of `file`, from a file written beside it and removed once imported. */
export async function importEsmBundle(file: string, marked: string, engineFile: string): Promise<Record<string, unknown>> {
  const code = marked.slice(ESM_MARK.length).split(JSON.stringify(ENGINE_PLACEHOLDER)).join(JSON.stringify(pathToFileURL(engineFile).href));
  const temp = path.join(path.dirname(file), esmBundleName(file));
  fs.writeFileSync(temp, code, { flag: "wx" });
  try {
    return (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
