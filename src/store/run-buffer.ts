import type { SqlValue } from "sql.js";
import { isTerminal, type FlowRunCreatedEvent, type StateType, type TaskRunCreatedEvent } from "../shared/events";
import { isoTime } from "./events-parse";
import { applyState, type StateChange, type Statements } from "./statements";

// Runs created in this fold are kept as JS objects and inserted once, in their final state, by flush().
// A run usually arrives with its Running and Completed states in the same fold, and an UPDATE per state
// costs more than everything else a run does; this turns three statements into one. The rules are the
// same as the SQL path (applyState): terminal states are final, start time is the first Running, etc.

interface StateCols {
  type: StateType;
  name: string;
  message: string | null;
  runCount: number;
  startTime: string | null;
  endTime: string | null;
  resultKey: string | null;
  result: string | null;
}

interface FlowRow extends StateCols {
  ev: FlowRunCreatedEvent;
}

interface TaskRow extends StateCols {
  ev: TaskRunCreatedEvent;
}

const initial = (): StateCols => ({
  type: "Pending",
  name: "Pending",
  message: null,
  runCount: 0,
  startTime: null,
  endTime: null,
  resultKey: null,
  result: null,
});

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export class RunBuffer {
  private flows = new Map<string, FlowRow>();
  private tasks = new Map<string, TaskRow>();

  constructor(
    private readonly st: Statements,
    private readonly journal: string,
  ) {}

  // A run's creation event is also its first state, Pending (the engine sends no separate event).
  flowRun(ev: FlowRunCreatedEvent): void {
    if (this.flows.has(ev.id)) return;
    this.flows.set(ev.id, { ev, ...initial() });
    this.st.run("history", [ev.id, "flow", "Pending", "Pending", null, isoTime(ev.created)]);
  }

  taskRun(ev: TaskRunCreatedEvent): void {
    if (this.tasks.has(ev.id)) return;
    this.tasks.set(ev.id, { ev, ...initial() });
    this.st.run("history", [ev.id, "task", "Pending", "Pending", null, isoTime(ev.created)]);
  }

  state(s: StateChange): void {
    const row = s.kind === "flow" ? this.flows.get(s.id) : this.tasks.get(s.id);
    if (!row) {
      applyState(this.st, s);
      return;
    }
    if (!isTerminal(row.type)) {
      row.type = s.type;
      row.name = s.name;
      row.message = s.message ?? null;
      if (s.runCount !== undefined) row.runCount = s.runCount;
      if (s.type === "Running" && row.startTime === null) row.startTime = s.ts;
      if (isTerminal(s.type)) row.endTime = s.ts;
      if (s.resultKey !== undefined) row.resultKey = s.resultKey;
      if (s.resultJson !== undefined) row.result = s.resultJson;
    }
    this.st.run("history", [s.id, s.kind, s.type, s.name, s.message ?? null, s.ts]);
  }

  /** The flow run of a task run created in this fold, if it was. */
  flowRunOfTask(taskRunId: string): string | undefined {
    return this.tasks.get(taskRunId)?.ev.flowRunId;
  }

  /** Inserts the buffered runs, in the order they were created. */
  flush(): void {
    for (const r of this.flows.values()) {
      const ev = r.ev;
      const values: SqlValue[] = [
        ev.id,
        ev.name,
        ev.flowName,
        json(ev.parameters),
        JSON.stringify(ev.tags ?? []),
        ev.parentFlowRunId ?? null,
        ev.parentTaskRunId ?? null,
        ...stateValues(r),
        isoTime(ev.created),
        ev.expectedStartTime ? isoTime(ev.expectedStartTime) : null,
        r.startTime,
        r.endTime,
        r.resultKey,
        r.result,
        ev.file ?? null,
        ev.pid ?? null,
        this.journal,
      ];
      this.st.run("insertFlowRun", values);
    }
    for (const r of this.tasks.values()) {
      const ev = r.ev;
      this.st.run("insertTaskRun", [
        ev.id,
        ev.flowRunId,
        ev.name,
        ev.taskName,
        json(ev.parameters),
        JSON.stringify(ev.tags ?? []),
        ev.cacheKey ?? null,
        ...stateValues(r),
        isoTime(ev.created),
        r.startTime,
        r.endTime,
        r.resultKey,
        this.journal,
      ]);
    }
    this.flows.clear();
    this.tasks.clear();
  }
}

function stateValues(r: StateCols): SqlValue[] {
  return [r.type, r.name, r.message, r.runCount];
}
