import { currentContext } from "./context";
import { UserError } from "./errors";

// `runtime.flowRun` and `runtime.taskRun`, as Prefect's `prefect.runtime`: read from the current run's
// async context, empty outside a run, and overridable with FLOWLINE__RUNTIME__<RUN>__<FIELD> variables
// cast to the field's type.

type FieldType = "string" | "number" | "date" | "list" | "object" | "signal";

export interface FlowRunInfo {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly flowName: string | undefined;
  readonly parameters: Record<string, unknown>;
  readonly tags: string[];
  readonly scheduledStartTime: Date;
  readonly runCount: number;
  readonly parentFlowRunId: string | undefined;
}

export interface TaskRunInfo {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly taskName: string | undefined;
  readonly parameters: Record<string, unknown>;
  readonly tags: string[];
  readonly runCount: number;
  /** Fires when the run is cancelled or times out; pass it to fetch() and the like. */
  readonly signal: AbortSignal | undefined;
}

function envName(run: "FLOW_RUN" | "TASK_RUN", field: string): string {
  return `FLOWLINE__RUNTIME__${run}__${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function cast(name: string, raw: string, type: FieldType): unknown {
  switch (type) {
    case "string":
      return raw;
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || Number.isNaN(n)) throw new UserError(`${name}=${JSON.stringify(raw)} is not a number; set it to a number or unset it.`);
      return n;
    }
    case "date": {
      const d = new Date(raw);
      if (Number.isNaN(d.getTime())) throw new UserError(`${name}=${JSON.stringify(raw)} is not a date; use an ISO date such as 2024-01-31T09:00:00Z.`);
      return d;
    }
    default:
      throw new UserError(`${name} cannot override ${/^[aeiou]/.test(type) ? "an" : "a"} ${type} field of the runtime context; unset it (only text, number and date fields can be overridden).`);
  }
}

function defineFields<T>(run: "FLOW_RUN" | "TASK_RUN", fields: Fields): T {
  const target: Record<string, unknown> = {};
  for (const [field, [type, read]] of Object.entries(fields)) {
    const name = envName(run, field);
    Object.defineProperty(target, field, {
      enumerable: true,
      get() {
        const raw = process.env[name];
        return raw === undefined ? read() : cast(name, raw, type);
      },
    });
  }
  return Object.freeze(target) as T;
}

type Fields = Record<string, [FieldType, () => unknown]>;

/** The fields a flow run and a task run both have, read from the current run of that kind. */
function runFields(
  run: () => { id: string; name: string; parameters: Record<string, unknown>; tags: string[]; runCount: number } | undefined,
): Fields {
  return {
    id: ["string", () => run()?.id],
    name: ["string", () => run()?.name],
    parameters: ["object", () => run()?.parameters ?? {}],
    tags: ["list", () => run()?.tags ?? []],
    runCount: ["number", () => run()?.runCount ?? 0],
  };
}

const flowRun = () => currentContext()?.flowRun;
const taskRun = () => currentContext()?.taskRun;

export const runtime: { readonly flowRun: FlowRunInfo; readonly taskRun: TaskRunInfo } = Object.freeze({
  flowRun: defineFields<FlowRunInfo>("FLOW_RUN", {
    ...runFields(flowRun),
    flowName: ["string", () => flowRun()?.flowName],
    scheduledStartTime: ["date", () => flowRun()?.expectedStartTime ?? new Date()],
    parentFlowRunId: ["string", () => flowRun()?.parentFlowRunId],
  }),
  taskRun: defineFields<TaskRunInfo>("TASK_RUN", {
    ...runFields(taskRun),
    taskName: ["string", () => taskRun()?.taskName],
    signal: ["signal", () => taskRun()?.stopper.signal],
  }),
});
