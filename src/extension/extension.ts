import { loadStarted } from "./load-clock";
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { EventLoopMeasure } from "./event-loop-measure";
import { FlowlineExtension } from "./flowline-extension";
import { registerArtifacts } from "./artifacts";
import type { ExtensionServices } from "./services";
import type { ExtensionContext, VSCode } from "./vscode-types";

// The extension's entry point, and the only place the vscode module is required: everything else gets
// it through a constructor (see vscode-types.ts), so the logic runs in plain Node under tests.

// The top level of this module runs after every module it imports: this is how long loading them took.
const loaded = { wall: performance.now() - loadStarted.wall, cpu: cpuMs(process.cpuUsage(), loadStarted.cpu) };
/** With FLOWLINE_MEASURE_EVENT_LOOP=<file>: the event loop's delays and memory, written there (a bench aid). */
let measure: EventLoopMeasure | undefined;

export function activate(context: ExtensionContext): ExtensionServices {
  const started = { wall: performance.now(), cpu: process.cpuUsage() };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vscode = require("vscode") as VSCode;
  const measureFile = process.env.FLOWLINE_MEASURE_EVENT_LOOP;
  let extension: FlowlineExtension | undefined;
  if (measureFile) measure = new EventLoopMeasure(measureFile, async () => extension?.store.memory(), ownScript(context.extensionPath));
  extension = new FlowlineExtension(vscode, context);
  if (measure) context.subscriptions.push(measure);
  const runsReady = { wall: performance.now(), cpu: process.cpuUsage() };
  try {
    registerArtifacts(vscode, context, extension.services);
  } catch (err) {
    // Runs, lenses and the Flow Runs tree keep working if the artifacts part cannot start.
    extension.output.error(`The Artifacts view could not start: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
  benchmark("load", loaded.wall, loaded.cpu);
  benchmark("activate-runs", runsReady.wall - started.wall, cpuMs(runsReady.cpu, started.cpu));
  benchmark("activate-artifacts", performance.now() - runsReady.wall, cpuMs(process.cpuUsage(), runsReady.cpu));
  return extension.services;
}

export function deactivate(): void {
  // Runs still going are cancelled by their disposal (context.subscriptions); their processes also
  // cancel themselves when this process goes away.
  measure?.dispose();
}

function cpuMs(now: NodeJS.CpuUsage, before: NodeJS.CpuUsage): number {
  return (now.user - before.user + now.system - before.system) / 1000;
}

/** With FLOWLINE_BENCH=<file>, timings are appended there as JSON lines (bench/extension.mjs reads them). */
function benchmark(event: string, ms: number, cpuMsUsed: number): void {
  const file = process.env.FLOWLINE_BENCH;
  if (!file) return;
  try {
    fs.appendFileSync(file, `${JSON.stringify({ event, ms, cpuMs: cpuMsUsed })}\n`);
  } catch {
    // a benchmark aid only
  }
}

/** Whether a script URL (as V8's profiler names it) is one of the extension's own files. */
function ownScript(extensionPath: string): (url: string) => boolean {
  const asUrl = pathToFileURL(extensionPath).href;
  return (url) => url.startsWith(asUrl) || url.startsWith(extensionPath);
}
