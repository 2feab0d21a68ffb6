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
  task_run: { str: ["id", "flowRunId", "name", "taskName", "created"], optStr: ["cacheKey"], optStrList: ["tags"] },
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

/** Parses one journal line. Returns undefined for a blank line; throws MalformedEvent otherwise. */
export function parseEventLine(line: string): EngineEvent | undefined {
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
