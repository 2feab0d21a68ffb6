// Shared by the artifact benchmarks: the store as the product bundles it (esbuild of src/store), and
// journal lines shaped as the engine writes them.
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { ROOT } from "./lib.mjs";

const require = createRequire(import.meta.url);
export const WASM = path.join(ROOT, "node_modules", "sql.js", "dist", "sql-wasm.wasm");

/** src/store bundled into `dir` (the built bundles do not export it), with sql.js's wasm located. */
export async function loadStore(dir) {
  const outfile = path.join(dir, "store.cjs");
  await esbuild.build({ entryPoints: [path.join(ROOT, "src/store/index.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", outfile, logLevel: "warning" });
  const store = require(outfile);
  store.setSqlWasmPath(WASM);
  return store;
}

/** sql.js itself, for the baselines. */
export async function loadSqlJs() {
  const initSqlJs = require("sql.js");
  return initSqlJs({ wasmBinary: fs.readFileSync(WASM) });
}

/** A small table as createTableArtifact stores it (3 rows × 3 columns). */
export function smallTable(i) {
  return { columns: ["city", "population", "when"], rows: [["Tokyo", 37.1 + i, "2024-01-01T00:00:00.000Z"], ["Delhi", 33.8, null], ["Dublin", 1.3, "x"]], shape: "records" };
}

/** `n` artifact events as journal lines: keys cycle over `keys`, times increase. */
export function artifactLines(n, { keys = 1000, start = 0, flowRunId = "0b5c6a7e-1f2a-4c3d-9e8f-000000000001" } = {}) {
  const t0 = Date.parse("2025-01-01T00:00:00.000Z");
  const lines = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = start + i;
    const id = `00000000-0000-4000-8000-${String(j).padStart(12, "0")}`;
    lines[i] = JSON.stringify({ e: "artifact", id, type: "markdown", data: `# Report ${j}\nAll good.`, created: new Date(t0 + j).toISOString(), key: `key-${j % keys}`, description: `version ${j}`, flowRunId });
  }
  return lines;
}

export function writeJournal(home, name, lines) {
  const dir = path.join(home, "journal");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${process.pid}-${name}.ndjson`), lines.join("\n") + "\n");
}
