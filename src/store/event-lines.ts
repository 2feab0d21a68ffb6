import { STATE_TYPES, type EngineEvent, type StateType } from "../shared/events";
import { encodeEvent } from "../engine/journal";
// The fields after created that a task_run line may end with, as the engine writes them.
import { COMPLETED, RUNNING } from "../engine/event-encoding";
import { MalformedEvent, parseEventLine } from "./events-parse";

// The store folds journal lines mostly without parsing them: a task run's events and its log lines are kept
// as the lines they are (a flow run's task runs and logs are chunks of journal lines, replayed when read),
// so folding needs only a few fields of each: which run, and which state. Those are read straight from the
// fixed form the engine writes them in (journal.ts, encodeEvent); any other form is parsed as JSON and
// written back in that form, so what is stored is always canonical.

const STATES: ReadonlySet<string> = new Set<string>(STATE_TYPES);

export type Line =
  /** With `running` and `completed` when the line stands for those states too (TaskRunCreatedEvent). */
  | { kind: "task_run"; id: string; flowRunId: string; created: string; running?: string; completed?: string; text: string }
  | { kind: "task_state"; id: string; type: StateType; text: string }
  | { kind: "log"; flowRunId?: string; taskRunId?: string; text: string }
  | { kind: "event"; event: EngineEvent };

const TASK_STATE = '{"e":"state","kind":"task","id":"';
const TASK_RUN = '{"e":"task_run","id":"';
const LOG_FLOW = '{"e":"log","flowRunId":"';
const LOG_TASK = '{"e":"log","taskRunId":"';
const CREATED_TAIL = ',"created":"';
/** An ISO time's length. */
const TIME = 24;

/** A plain id: what the engine makes (uuids), with nothing JSON would escape. */
function plainId(s: string): boolean {
  return s.length > 0 && s.length <= 200 && !s.includes("\\");
}

function field(text: string, at: number): [string, number] | undefined {
  const end = text.indexOf('"', at);
  return end < 0 ? undefined : [text.slice(at, end), end];
}

function fast(text: string): Line | undefined {
  if (text.charCodeAt(text.length - 1) !== 125 /* } */) return undefined;
  if (text.startsWith(TASK_STATE)) {
    const id = field(text, TASK_STATE.length);
    if (!id || !plainId(id[0]) || !text.startsWith('","type":"', id[1])) return undefined;
    const type = field(text, id[1] + 10);
    if (!type || !STATES.has(type[0]) || !text.startsWith('","name":"', type[1])) return undefined;
    return { kind: "task_state", id: id[0], type: type[0] as StateType, text };
  }
  if (text.startsWith(TASK_RUN)) {
    const id = field(text, TASK_RUN.length);
    if (!id || !plainId(id[0]) || !text.startsWith('","flowRunId":"', id[1])) return undefined;
    const flow = field(text, id[1] + 15);
    if (!flow || !plainId(flow[0])) return undefined;
    // The creation time is the last field, an ISO time of fixed length, or it is followed by the times of
    // the Running state and then the Completed state the line stands for too.
    let end = text.length - 2;
    let completed: string | undefined;
    let running: string | undefined;
    const completedAt = end - TIME - COMPLETED.length;
    if (text.startsWith(COMPLETED, completedAt)) {
      completed = text.slice(completedAt + COMPLETED.length, end);
      end = completedAt;
    }
    const runningAt = end - TIME - RUNNING.length;
    if (text.startsWith(RUNNING, runningAt)) {
      running = text.slice(runningAt + RUNNING.length, end);
      end = runningAt;
    } else if (completed !== undefined) return undefined;
    const at = end - TIME - CREATED_TAIL.length;
    if (!text.startsWith(CREATED_TAIL, at)) return undefined;
    const created = text.slice(at + CREATED_TAIL.length, end);
    return running === undefined ? { kind: "task_run", id: id[0], flowRunId: flow[0], created, text } : { kind: "task_run", id: id[0], flowRunId: flow[0], created, running, completed, text };
  }
  if (text.startsWith(LOG_FLOW)) {
    const flow = field(text, LOG_FLOW.length);
    if (!flow || !plainId(flow[0])) return undefined;
    const task = text.startsWith('","taskRunId":"', flow[1]) ? field(text, flow[1] + 15) : undefined;
    return { kind: "log", flowRunId: flow[0], taskRunId: task?.[0], text };
  }
  if (text.startsWith(LOG_TASK)) {
    const task = field(text, LOG_TASK.length);
    if (!task || !plainId(task[0])) return undefined;
    return { kind: "log", taskRunId: task[0], text };
  }
  return undefined;
}

/** Classifies one journal line. Returns undefined for a blank line; throws MalformedEvent otherwise. */
export function classifyLine(text: string): Line | undefined {
  const quick = fast(text);
  if (quick) return quick;
  const event = parseEventLine(text);
  return event ? lineOf(event) : undefined;
}

/** The line an event is stored as (for events that did not come from a journal: marks, conversions). */
export function lineOf(event: EngineEvent): Line {
  if (event.e === "task_run" || (event.e === "state" && event.kind === "task") || event.e === "log") {
    const text = encodeEvent(event);
    const quick = fast(text);
    if (quick) return quick;
    // Ids the fast form does not take (escaped characters): keep the parsed fields.
    if (event.e === "task_run") return { kind: "task_run", id: event.id, flowRunId: event.flowRunId, created: event.created, running: event.running, completed: event.completed, text };
    if (event.e === "state") return { kind: "task_state", id: event.id, type: event.type, text };
    return { kind: "log", flowRunId: event.flowRunId ?? undefined, taskRunId: event.taskRunId ?? undefined, text };
  }
  return { kind: "event", event };
}

export { MalformedEvent };
