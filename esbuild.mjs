// Builds Flowline: the engine SDK (what flow files import as "flowline"), the runner's child entry, the
// CLI, the extension and the webview bundles. Types are checked separately (tsc --noEmit).
import * as esbuild from "esbuild";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, "dist");
const watch = process.argv.includes("--watch");
fs.mkdirSync(dist, { recursive: true });

// The version every bundle reports (src/shared/version.ts): package.json's, put in at build time.
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

const node = {
  bundle: true,
  define: { __FLOWLINE_VERSION__: JSON.stringify(version) },
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: "linked",
  // esbuild runs as its own binary and must stay a package; sql.js's wasm is copied next to the bundles.
  // pg and pg-boss are team mode's, bundled apart (dist/team-drivers.js) and required only in team mode.
  external: ["esbuild", "vscode", "sql.js/dist/sql-wasm.wasm", "pg", "pg-boss", "pg-native"],
  logLevel: "warning",
};

const lazyParser = { name: "lazy-babel-parser", setup: (b) => b.onResolve({ filter: /^@babel\/parser$/ }, () => ({ path: "./babel-parser.js", external: true })) };
// The TypeScript compiler reads flow files' parameter types in the flow process (src/runner/signature-types.ts),
// only for a changed TypeScript flow file: it is its own file (dist/typescript.js), required then.
const lazyTypescript = { name: "lazy-typescript", setup: (b) => b.onResolve({ filter: /^typescript$/ }, () => ({ path: "./typescript.js", external: true })) };

const builds = [
  { ...node, entryPoints: [path.join(root, "src/sdk.ts")], outfile: path.join(dist, "flowline.js"), plugins: [lazyTypescript] },
  { ...node, entryPoints: [path.join(root, "src/cli/main.ts")], outfile: path.join(dist, "cli.js") },
  // The VS Code extension (the only bundle that imports vscode). mainFields: packages' ES module builds
  // first (jsonc-parser's UMD build hides its requires from the bundler). The flow finder's parser is its
  // own file, required when a flow file is first read: activation does not load it (300 KB of code to
  // compile would cost the extension's load a third more).
  { ...node, entryPoints: [path.join(root, "src/extension/extension.ts")], outfile: path.join(dist, "extension.js"), minify: !watch, mainFields: ["module", "main"], plugins: [lazyParser] },
  { ...node, entryPoints: [path.join(root, "node_modules/@babel/parser/lib/index.js")], outfile: path.join(dist, "babel-parser.js"), minify: !watch, sourcemap: false },
  // The extension's store runs in a worker thread (src/extension/store-service.ts); sql-wasm.wasm is next to it.
  { ...node, entryPoints: [path.join(root, "src/extension/store-worker.ts")], outfile: path.join(dist, "store-worker.js"), minify: !watch },
  // Team mode's PostgreSQL driver and queue (src/team/drivers.ts requires it beside itself).
  { ...node, external: ["pg-native"], entryPoints: [path.join(root, "src/team/drivers-entry.ts")], outfile: path.join(dist, "team-drivers.js"), minify: !watch },
  // The panels' browser code.
  {
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    sourcemap: watch ? "inline" : false,
    minify: !watch,
    logLevel: "warning",
    entryPoints: { main: path.join(root, "webview/main.ts"), styles: path.join(root, "webview/styles.css") },
    outdir: path.join(dist, "webview"),
  },
];

// The child entry only loads the SDK bundle, so the user's flows and the runner share one engine.
fs.writeFileSync(
  path.join(dist, "child.js"),
  '"use strict";\nconst engine = require.resolve("./flowline.js");\nrequire(engine).__flowlineChildMain(engine);\n',
);
fs.copyFileSync(path.join(root, "node_modules/sql.js/dist/sql-wasm.wasm"), path.join(dist, "sql-wasm.wasm"));
fs.copyFileSync(path.join(root, "node_modules/typescript/lib/typescript.js"), path.join(dist, "typescript.js"));

// The SDK's declarations (dist/types), for the types the extension gives a user's workspace. tsc writes
// them by folder (engine/, shared/); index.d.ts at the top is what "flowline" resolves to.
function buildTypes() {
  if (process.argv.includes("--no-types")) return;
  const types = path.join(dist, "types");
  fs.rmSync(types, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.types.json")], { stdio: "inherit" });
  fs.writeFileSync(path.join(types, "index.d.ts"), 'export * from "./engine/index";\n');
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
  buildTypes();
}
