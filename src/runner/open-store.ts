import * as fs from "node:fs";
import * as path from "node:path";
import type { OpenStoreOptions, Store } from "../store";

// Opening the store from a process that runs or shows flows: the CLI, the editor, a flow's own cache
// lookups. The store module (and sql.js with it) loads only here, at first use: esbuild keeps this lazy
// require lazy, so none of them pays for sql.js before it needs the database.

/**
 * The store of `home`. A bundle in dist/ reads sql.js's WebAssembly from the copy built next to it, not
 * from whatever sql.js a node_modules above it holds. Retention: `options.retentionDays` when given
 * (the editor's setting), else $FLOWLINE_RETENTION_DAYS.
 */
export function openFlowlineStore(home: string, options: OpenStoreOptions = {}): Promise<Store> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { openStore } = require("../store") as typeof import("../store");
  return openStore(home, { wasmPath: bundledWasm(), ...options });
}

function bundledWasm(): string | undefined {
  const beside = path.join(__dirname, "sql-wasm.wasm");
  return fs.existsSync(beside) ? beside : undefined;
}
