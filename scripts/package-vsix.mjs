// `npm run package`: builds flowline.vsix with @vscode/vsce from a staging folder.
// Why a staging folder: the runner's child needs the `esbuild` package and its native binary at run time
// (dist/flowline.js requires "esbuild"), and vsce never packs node_modules/ with --no-dependencies. So
// they are staged as dist/node_modules/, which Node finds from dist/flowline.js just as well. Staging also
// keeps vsce from walking (and secret-scanning) the whole repository and its caches.
// The .vscodeignore allowlist at the root decides what of the staged files goes in.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const stage = path.join(root, ".cache", "vsix-stage");
const out = path.resolve(root, process.argv[2] ?? "flowline.vsix");
const require = createRequire(path.join(root, "package.json"));

fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
const copy = (from, to = from) => {
  const src = path.join(root, from);
  if (!fs.existsSync(src)) return;
  fs.cpSync(src, path.join(stage, to), { recursive: true, dereference: true });
};
for (const item of ["package.json", "README.md", "LICENSE", ".vscodeignore", "media", "dist"]) copy(item);
fs.rmSync(path.join(stage, "dist", "node_modules"), { recursive: true, force: true });

// esbuild's JS API and the binary for this platform (`@esbuild/<platform>-<arch>`).
const esbuildDir = path.dirname(require.resolve("esbuild/package.json"));
const binaryPkg = `@esbuild/${process.platform}-${process.arch}`;
const binaryDir = path.dirname(createRequire(path.join(esbuildDir, "package.json")).resolve(`${binaryPkg}/package.json`));
const modules = path.join(stage, "dist", "node_modules");
fs.mkdirSync(path.join(modules, "esbuild", "lib"), { recursive: true });
fs.copyFileSync(path.join(esbuildDir, "package.json"), path.join(modules, "esbuild", "package.json"));
fs.copyFileSync(path.join(esbuildDir, "lib", "main.js"), path.join(modules, "esbuild", "lib", "main.js"));
fs.cpSync(binaryDir, path.join(modules, binaryPkg), { recursive: true, dereference: true });

// The vsix is per platform because of that binary.
const targets = { "linux-x64": "linux-x64", "linux-arm64": "linux-arm64", "darwin-x64": "darwin-x64", "darwin-arm64": "darwin-arm64", "win32-x64": "win32-x64", "win32-arm64": "win32-arm64" };
const target = targets[`${process.platform}-${process.arch}`];
const vsce = path.join(path.dirname(require.resolve("@vscode/vsce/package.json")), "vsce");
const args = ["package", "--no-dependencies", "--allow-missing-repository", "--no-rewrite-relative-links", "--out", out, ...(target ? ["--target", target] : [])];
execFileSync(process.execPath, [vsce, ...args], { cwd: stage, stdio: "inherit" });
