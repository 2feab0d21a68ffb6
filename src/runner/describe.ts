import type { ChildProcess } from "node:child_process";
import * as path from "node:path";
import { UserError } from "../engine/errors";
import { isChildMessage, type FlowSummary, type ParentMessage } from "./protocol";
import { killFlowProcess, spawnFlowChild, type ProcessSetup, type WarmFlowProcess } from "./run";

// Asks a flow process what a file's flows are and which parameters they take, without running one (the
// Run with parameters… prompt checks what the user types against the engine's own specs). The answer
// comes from the same load and selection a run makes, so a file that would not run says so here.

export interface DescribeRequest extends ProcessSetup {
  file: string;
  /** Export name or flow name, as a run selects it. */
  flow?: string;
  /** How long loading the file may take before the process is stopped (a module that never returns). */
  timeoutMs?: number;
}

export interface FlowDescription {
  flows: FlowSummary[];
  /** The flow `flow` selected. */
  selected: FlowSummary;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Starts a flow process (or takes `warm`'s waiting one for the same setup) that loads the file and
 * reports its flows. Rejects with a UserError saying why when the file does not load or has no such flow.
 */
export function describeFlows(request: DescribeRequest, warm?: WarmFlowProcess): Promise<FlowDescription> {
  const child = warm?.take(request) ?? warm?.spawn(request) ?? spawnFlowChild(request);
  return new Promise<FlowDescription>((resolve, reject) => {
    let failure: string | undefined;
    let exit = "";
    let stderr = "";
    let settled = false;
    const settle = (answer?: FlowDescription) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (answer !== undefined) return resolve(answer);
      const last = stderr.trim().split("\n").pop();
      reject(new UserError(failure ?? `The flow process ${exit} before it listed the flows of ${path.basename(request.file)}${last ? `: ${last}` : "."}`));
    };
    const timer = setTimeout(() => {
      failure = `${path.basename(request.file)} took more than ${Math.round((request.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s to load; its flows could not be listed.`;
      stop(child);
      settle();
    }, request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // What the module prints as it loads is not shown, but is read so a full pipe cannot block it.
    child.stdout?.resume();
    child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-2000)));
    // The process exits by itself once it has answered.
    child.on("message", (raw: unknown) => {
      if (!isChildMessage(raw)) return;
      if (raw.type === "loaded") settle({ flows: raw.flows, selected: raw.selected });
      else if (raw.type === "fatal") failure = raw.message;
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (!(err.syscall ?? "").startsWith("spawn")) return; // a message to a process that has exited: told by its exit
      failure = `Could not start ${request.nodePath ?? process.execPath}: ${err.message}. Check the node path setting.`;
      settle();
    });
    child.on("exit", (code, signal) => {
      exit = signal ? `was killed (${signal})` : `exited with code ${code}`;
      // Messages it sent before exiting arrive before its channel closes.
      if (!child.connected) return settle();
      child.once("disconnect", () => settle());
      setTimeout(() => settle(), 2000).unref();
    });
    try {
      child.send({ type: "describe", file: path.resolve(request.file), flow: request.flow } satisfies ParentMessage);
    } catch (err) {
      failure = `The flow process could not be asked for its flows (${err instanceof Error ? err.message : String(err)}).`;
      stop(child);
    }
  });
}

/** Ends the process and everything it started (its own process group). */
function stop(child: ChildProcess): void {
  killFlowProcess(child);
}
