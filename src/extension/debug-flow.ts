import * as path from "node:path";
import type { RunLog, RunManager, RunSpec } from "./run-manager";
import type { VSCode } from "./vscode-types";

// ▶ Debug flow: the same run as ▶ Run flow (the same RunSession, child entry, runtime context, store and
// artifacts), with the flow process started under the inspector, paused before its first line, and VS
// Code's JavaScript debugger attached to it. The runner bundles the flow with source maps, so breakpoints
// in the user's .ts stop there. The inspector's address is the one node prints on the process's stderr.

/** Node's line on stderr when its inspector listens. */
const LISTENING = /Debugger listening on (ws:\/\/[^\s]+)/;
const ATTACH_TIMEOUT_MS = 30_000;

/** The debug configuration that attaches js-debug to a flow process's inspector. */
export function attachConfiguration(label: string, websocketAddress: string, cwd: string, flowlineDir: string): Record<string, unknown> {
  return {
    type: "pwa-node",
    request: "attach",
    name: `Debug flow '${label}'`,
    websocketAddress,
    // The process waits at its first line (--inspect-brk) until the debugger has set the breakpoints.
    continueOnAttach: true,
    sourceMaps: true,
    // The bundle and its map live in the Flowline home, which may be outside the workspace; Flowline's own
    // bundles ship without maps, and stepping skips them (the engine is not the user's code).
    resolveSourceMapLocations: ["**", `!${flowlineDir}/**`],
    skipFiles: ["<node_internals>/**", "**/node_modules/**", `${flowlineDir}/**`],
    cwd,
  };
}

/** Debugs a run of `spec`; `flowlineDir` is the extension's folder (its engine's frames are skipped). */
export async function debugFlow(vscode: VSCode, runs: RunManager, spec: RunSpec, log: RunLog, flowlineDir: string): Promise<void> {
  const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : "";
  const run = runs.start(spec, { env: { NODE_OPTIONS: `${inherited}--inspect-brk=127.0.0.1:0` } });
  const address = await new Promise<string | undefined>((resolve) => {
    let seen = "";
    const timer = setTimeout(() => resolve(undefined), ATTACH_TIMEOUT_MS);
    run.session.on("output", (text) => {
      seen = (seen + text).slice(-4000);
      const m = LISTENING.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void run.done.then(() => resolve(undefined));
  });
  if (!address) {
    log.error(`Flow '${spec.label}' did not start under the debugger (no inspector address on its output).`);
    run.cancel();
    void vscode.window.showErrorMessage(`Flowline: could not debug flow '${spec.label}': its process did not open the inspector. See the Output for its messages.`);
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(spec.file));
  const started = await vscode.debug.startDebugging(folder, attachConfiguration(spec.label, address, folder?.uri.fsPath ?? path.dirname(spec.file), flowlineDir) as never);
  if (!started) {
    run.cancel();
    void vscode.window.showErrorMessage(`Flowline: VS Code's JavaScript debugger did not attach to flow '${spec.label}'; the run was cancelled.`);
  }
}
