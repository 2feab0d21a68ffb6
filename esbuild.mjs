// Builds Flowline: the engine SDK (what flow files import as "flowline"), the runner's child entry,
// the CLI, and (later) the extension and the webview bundles. Types are checked separately (tsc --noEmit).
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, "dist");
const watch = process.argv.includes("--watch");
fs.mkdirSync(dist, { recursive: true });

const node = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: "linked",
  // esbuild runs as its own binary and must stay a package; sql.js's wasm is copied next to the bundles.
  external: ["esbuild", "vscode", "sql.js/dist/sql-wasm.wasm"],
  logLevel: "warning",
};

const builds = [
  { ...node, entryPoints: [path.join(root, "src/sdk.ts")], outfile: path.join(dist, "flowline.js") },
  { ...node, entryPoints: [path.join(root, "src/cli/main.ts")], outfile: path.join(dist, "cli.js") },
];
// The VS Code extension (the only bundle that imports vscode) and the panels' browser code.
const extensionEntry = path.join(root, "src/extension/extension.ts");
if (fs.existsSync(extensionEntry)) {
  // mainFields: packages' ES module builds first (jsonc-parser's UMD build hides its requires from the bundler).
  builds.push({ ...node, entryPoints: [extensionEntry], outfile: path.join(dist, "extension.js"), minify: !watch, mainFields: ["module", "main"] });
  // The extension's store runs in a worker thread (src/extension/store-service.ts); sql-wasm.wasm is next to it.
  builds.push({ ...node, entryPoints: [path.join(root, "src/extension/store-worker.ts")], outfile: path.join(dist, "store-worker.js"), minify: !watch });
}
const webviewEntry = path.join(root, "webview/main.ts");
if (fs.existsSync(webviewEntry)) {
  builds.push({
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    sourcemap: watch ? "inline" : false,
    minify: !watch,
    logLevel: "warning",
    entryPoints: { main: webviewEntry, ...(fs.existsSync(path.join(root, "webview/styles.css")) ? { styles: path.join(root, "webview/styles.css") } : {}) },
    outdir: path.join(dist, "webview"),
  });
}

// The child entry only loads the SDK bundle, so the user's flows and the runner share one engine.
fs.writeFileSync(
  path.join(dist, "child.js"),
  '"use strict";\nconst engine = require.resolve("./flowline.js");\nrequire(engine).__flowlineChildMain(engine);\n',
);
fs.copyFileSync(path.join(root, "node_modules/sql.js/dist/sql-wasm.wasm"), path.join(dist, "sql-wasm.wasm"));

// The SDK's declarations (dist/types), for the types the extension gives a user's workspace.
function buildTypes() {
  if (process.argv.includes("--no-types")) return;
  fs.rmSync(path.join(dist, "types"), { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.types.json")], { stdio: "inherit" });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  buildTypes();
}
