import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** Builds dist/ when a source file (or esbuild.mjs) is newer than the bundles: the CLI runs from dist/. */
export function ensureBuilt(): void {
  const outputs = ["cli.js", "flowline.js", "child.js", "store-worker.js"].map((f) => path.join(REPO, "dist", f));
  const built = Math.min(...outputs.map((f) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0));
  let newest = fs.statSync(path.join(REPO, "esbuild.mjs")).mtimeMs;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(REPO, "src"));
  if (newest > built) execFileSync(process.execPath, ["esbuild.mjs"], { cwd: REPO, stdio: "inherit" });
}
