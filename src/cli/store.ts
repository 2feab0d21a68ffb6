import * as fs from "node:fs";
import * as path from "node:path";
import { openStore, setSqlWasmPath, type Store } from "../store";

/** Opens the store for a CLI command; its warnings (a damaged database moved aside, ...) go to stderr. */
export async function openCliStore(home: string): Promise<Store> {
  const wasm = path.join(__dirname, "sql-wasm.wasm");
  if (fs.existsSync(wasm)) setSqlWasmPath(wasm);
  return openStore(home, { onWarning: (message) => process.stderr.write(`flowline: warning: ${message}\n`) });
}
