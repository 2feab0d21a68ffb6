import { STATE_TYPES, type EngineEvent } from "../shared/events";

// Checks that a parsed journal line is an event the store can apply. A line that is not (a bug, a
// damaged file, a newer engine's event) is skipped with a reason rather than stopping the fold.

export class MalformedEvent extends Error {}

const KNOWN_STATES: ReadonlySet<string> = new Set(STATE_TYPES);

type Obj = Record<string, unknown>;

interface FieldSpec {
  /** Required strings. */
  str: readonly string[];
  optStr?: readonly string[];
  optNum?: readonly string[];
  optStrList?: readonly string[];
}

const SPECS: Readonly<Record<EngineEvent["e"], FieldSpec>> = {
  flow_run: {
    str: ["id", "name", "flowName", "created"],
    optStr: ["parentFlowRunId", "parentTaskRunId", "expectedStartTime", "file"],
    optNum: ["pid"],
    optStrList: ["tags"],
  },
  task_run: { str: ["id", "flowRunId", "name", "taskName", "created"], optStr: ["cacheKey", "running", "completed"], optStrList: ["tags"] },
  state: { str: ["id", "type", "name", "ts"], optStr: ["message", "resultKey"], optNum: ["runCount"] },
  log: { str: ["level", "message", "ts"], optStr: ["flowRunId", "taskRunId"] },
  artifact: { str: ["id", "type", "created"], optStr: ["key", "description", "flowRunId", "taskRunId"] },
  artifact_update: { str: ["id", "ts"], optStr: ["description"] },
  cache: { str: ["cacheKey", "storageKey", "created"], optStr: ["taskRunId", "expiresAt"] },
  close: { str: [] },
};

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

function check(o: Obj, spec: FieldSpec): void {
  for (const f of spec.str) if (typeof o[f] !== "string") throw new MalformedEvent(`"${f}" must be a string`);
  for (const f of spec.optStr ?? []) {
    if (!absent(o[f]) && typeof o[f] !== "string") throw new MalformedEvent(`"${f}" must be a string`);
  }
  for (const f of spec.optNum ?? []) {
    if (!absent(o[f]) && typeof o[f] !== "number") throw new MalformedEvent(`"${f}" must be a number`);
  }
  for (const f of spec.optStrList ?? []) {
    const v = o[f];
    if (!absent(v) && (!Array.isArray(v) || v.some((x) => typeof x !== "string"))) {
      throw new MalformedEvent(`"${f}" must be a list of strings`);
    }
  }
}

const STATE_TASK = '{"e":"state","kind":"task","id":"';
const STATE_FLOW = '{"e":"state","kind":"flow","id":"';
const PLAIN_NAME = /^[A-Za-z][A-Za-z ]*$/;

function expect(line: string, at: number, text: string): number {
  return line.startsWith(text, at) ? at + text.length : -1;
}

/**
 * State events are most of a journal (two or three a task run) and the engine writes them in one fixed
 * form (journal.ts, encodeEvent): read that form directly. Anything else returns undefined and goes
 * through JSON.parse.
 */
function parseStateLine(line: string): EngineEvent | undefined {
  const kind = line.startsWith(STATE_TASK) ? "task" : line.startsWith(STATE_FLOW) ? "flow" : undefined;
  if (!kind) return undefined;
  let at = STATE_TASK.length;
  const idEnd = line.indexOf('"', at);
  if (idEnd < 0) return undefined;
  const id = line.slice(at, idEnd);
  if (id.includes("\\")) return undefined;
  at = expect(line, idEnd, '","type":"');
  const typeEnd = at < 0 ? -1 : line.indexOf('"', at);
  if (typeEnd < 0) return undefined;
  const type = line.slice(at, typeEnd);
  at = expect(line, typeEnd, '","name":"');
  const nameEnd = at < 0 ? -1 : line.indexOf('"', at);
  if (nameEnd < 0) return undefined;
  const name = line.slice(at, nameEnd);
  at = expect(line, nameEnd, '","ts":"');
  if (at < 0 || line.charCodeAt(at + 24) !== 34 /* " */) return undefined;
  const ts = line.slice(at, at + 24);
  at += 25;
  let runCount: number | undefined;
  if (line.startsWith(',"runCount":', at)) {
    const end = line.length - 1;
    runCount = Number(line.slice(at + 12, end));
    if (!Number.isInteger(runCount)) return undefined;
    at = end;
  }
  if (at !== line.length - 1 || line.charCodeAt(at) !== 125 /* } */) return undefined;
  if (!KNOWN_STATES.has(type) || !PLAIN_NAME.test(name) || !ISO_UTC.test(ts)) return undefined;
  const ev = { e: "state", kind, id, type, name, ts } as EngineEvent & { runCount?: number };
  if (runCount !== undefined) ev.runCount = runCount;
  return ev;
}

/** Parses one journal line. Returns undefined for a blank line; throws MalformedEvent otherwise. */
export function parseEventLine(line: string): EngineEvent | undefined {
  const fast = parseStateLine(line);
  if (fast) return fast;
  if (line.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new MalformedEvent("not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MalformedEvent("not a JSON object");
  }
  const o = value as Obj;
  const spec = typeof o.e === "string" && Object.hasOwn(SPECS, o.e) ? SPECS[o.e as EngineEvent["e"]] : undefined;
  if (!spec) throw new MalformedEvent(`unknown event type ${JSON.stringify(o.e)}`);
  check(o, spec);
  if (o.e === "state") {
    if (o.kind !== "flow" && o.kind !== "task") throw new MalformedEvent(`"kind" must be "flow" or "task"`);
    if (!KNOWN_STATES.has(o.type as string)) throw new MalformedEvent(`unknown state type ${JSON.stringify(o.type)}`);
  }
  return o as unknown as EngineEvent;
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Times are compared as text (ordering, cache expiry), so store them in one form: Date#toISOString.
 * Engine times already are; anything else that parses is converted, the rest kept as sent.
 */
export function isoTime(value: string): string {
  if (ISO_UTC.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}
