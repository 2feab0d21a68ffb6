import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configureEngine, JournalSink, type EngineSink } from "../../../src/engine/config";
import type { EngineEvent, StateEvent } from "../../../src/shared/events";

// Every home made here is removed when the test process ends (a test may still read one after close()).
const homes: string[] = [];
process.once("exit", () => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

/** Runs the engine in this process against a fresh home, keeping every event it emits. */
export class TestEngine implements EngineSink {
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-test-"));
  readonly events: EngineEvent[] = [];
  private readonly journal = new JournalSink(this.home);

  constructor() {
    homes.push(this.home);
    configureEngine({ home: this.home, sink: this, consoleLogs: false, logLevel: "DEBUG" });
  }

  emit(event: EngineEvent): void {
    this.events.push(event);
    this.journal.emit(event);
  }
  flushSync(): void {
    this.journal.flushSync();
  }
  syncToDisk(): void {
    this.journal.syncToDisk();
  }
  close(): void {
    this.journal.close();
  }

  storage(...parts: string[]): string {
    return path.join(this.home, "storage", ...parts);
  }

  /** The names of the states a run went through, in order (its creation event is its Pending state). */
  states(runId: string): string[] {
    const created = this.events.some((e) => (e.e === "flow_run" || e.e === "task_run") && e.id === runId);
    return [...(created ? ["Pending"] : []), ...this.events.filter((e): e is StateEvent => e.e === "state" && e.id === runId).map((e) => e.name)];
  }

  taskRuns(): Array<Extract<EngineEvent, { e: "task_run" }>> {
    return this.events.filter((e): e is Extract<EngineEvent, { e: "task_run" }> => e.e === "task_run");
  }

  flowRuns(): Array<Extract<EngineEvent, { e: "flow_run" }>> {
    return this.events.filter((e): e is Extract<EngineEvent, { e: "flow_run" }> => e.e === "flow_run");
  }

  finalState(runId: string): StateEvent | undefined {
    const list = this.events.filter((e): e is StateEvent => e.e === "state" && e.id === runId);
    return list[list.length - 1];
  }

  logs(): string[] {
    return this.events.flatMap((e) => (e.e === "log" ? [e.message] : []));
  }
}
