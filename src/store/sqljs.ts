import * as fs from "node:fs";
import * as path from "node:path";
import type { SqlJsStatic } from "sql.js";

// Loads sql.js's WebAssembly once per process, and only when a store is first opened (it costs ~16 ms,
// which an extension should not pay at activation). The bundle ships the .wasm next to itself, so its
// location can be overridden; by default it is resolved from the installed sql.js package.

let wasmPathOverride: string | undefined;
let loading: Promise<SqlJsStatic> | undefined;

/** Where to read sql-wasm.wasm from. Call before the first store is opened (later calls have no effect). */
export function setSqlWasmPath(wasmPath: string | undefined): void {
  wasmPathOverride = wasmPath;
}

/** The installed sql.js package's wasm; in a bundle without node_modules, the copy shipped next to it. */
function defaultWasmPath(): string {
  try {
    return require.resolve("sql.js/dist/sql-wasm.wasm");
  } catch {
    return path.join(__dirname, "sql-wasm.wasm");
  }
}

export function loadSqlJs(wasmPath?: string): Promise<SqlJsStatic> {
  if (!loading) {
    const file = wasmPath ?? wasmPathOverride ?? defaultWasmPath();
    loading = (async () => {
      let wasmBinary: Buffer;
      try {
        wasmBinary = fs.readFileSync(file);
      } catch (err) {
        throw new Error(
          `Cannot read sql.js's WebAssembly file at ${file} (${(err as Error).message}). ` +
            `Reinstall Flowline, or point setSqlWasmPath() at sql-wasm.wasm.`,
        );
      }
      // Lazy require: keep sql.js out of the startup path of whoever imports the store module.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const initSqlJs = require("sql.js") as typeof import("sql.js");
      // Pass the bytes ourselves so no locateFile/URL logic runs (it differs between Node and bundles).
      const wasm = wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength);
      return initSqlJs({ wasmBinary: wasm as ArrayBuffer });
    })();
    // A failed load (missing file) may be retried with another path.
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}
