import * as v8 from "node:v8";
import { openFlowlineStore } from "../runner/open-store";
import type { StoreApi } from "../store";
import { databaseUrl } from "../team/team-config";
import { escapeBlock } from "./format";

let wasmFlagsSet = false;

/**
 * A CLI command is short-lived: compile sql.js's WebAssembly with V8's baseline compiler only. Otherwise
 * V8 keeps optimising the module on background threads and the process waits for them when it exits,
 * which costs a few hundred milliseconds on every command for no gain. Must run before the wasm loads.
 */
function preferQuickWasm(): void {
  if (wasmFlagsSet || process.env.FLOWLINE_WASM_TIER_UP === "1") return;
  wasmFlagsSet = true;
  v8.setFlagsFromString("--liftoff-only");
}

/** "flowline artifacts rm": how this command is named to another process that waits for its lock. */
function commandLabel(argv: string[] = process.argv.slice(2)): string {
  const [command, sub] = argv;
  const words = command === "runs" || command === "artifacts" ? [command, sub] : [command];
  return ["flowline", ...words.filter((w) => w !== undefined && /^[a-z][a-z-]*$/.test(w))].join(" ");
}

/**
 * Opens the store for a CLI command; its warnings (a damaged database salvaged, ...) go to stderr, and so
 * does who holds the lock while a write of this command waits for it.
 */
export async function openCliStore(home: string): Promise<StoreApi> {
  const teamUrl = databaseUrl();
  if (teamUrl) {
    // Team mode: the store is PostgreSQL (src/team); sql.js is never loaded.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openPgStore } = require("../team/pg-store") as typeof import("../team/pg-store");
    return openPgStore(home, teamUrl);
  }
  preferQuickWasm();
  return openFlowlineStore(home, {
    label: commandLabel(),
    onWarning: (message) => process.stderr.write(`flowline: warning: ${escapeBlock(message)}\n`),
    onWait: (message) => process.stderr.write(`flowline: ${escapeBlock(message)}\n`),
    onProgress: (message) => process.stderr.write(`flowline: ${escapeBlock(message)}\n`),
  });
}
