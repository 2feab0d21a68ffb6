import type { EngineEvent, StateEvent, TaskRunCreatedEvent } from "../shared/events";

// Events as journal lines. Task runs' events are most of a journal (a task_run line and its state lines,
// folded into one line when they follow it directly: journal.ts) and their fields are ids, ISO times, plain names and the run's parameters, so they are written
// directly, in the fixed form the store reads without parsing (src/store/event-lines.ts); anything else
// goes through JSON. A no-op task run costs little more than writing these lines, so each check here counts.

const PLAIN_NAME = /^[A-Za-z][A-Za-z ]*$/;
/** The state names the engine uses, known plain without a look at their letters. */
const STATE_NAMES: ReadonlySet<string> = new Set(["Running", "Retrying", "Completed", "Cached", "Failed", "TimedOut", "NotReady", "Crashed", "Cancelled", "Pending", "AwaitingRetry"]);

/** Text JSON writes as it is, between quotes: no control character, quote, backslash or lone surrogate. */
function plainText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** An id (or a time) as the engine makes them: a short plain string. */
function plainId(id: string): boolean {
  return typeof id === "string" && id.length > 0 && id.length <= 200 && plainText(id);
}

/** A string as JSON. */
function quoted(text: string): string {
  return plainText(text) ? `"${text}"` : JSON.stringify(text);
}

// The pieces of a task_run line around the task's name and tags, from the previous line: a flow's task
// runs mostly come from a few tasks, whose tags array is one frozen array per task.
let lastTaskName = "";
let lastTaskNamePiece = ',"taskName":"","parameters":';
let lastTags: readonly string[] = Object.freeze([]);
let lastTagsPiece = ',"tags":[],"created":"';

/** `,"taskName":<name>,"parameters":` */
function taskNamePiece(name: string): string {
  if (name !== lastTaskName) {
    lastTaskNamePiece = `,"taskName":${quoted(name)},"parameters":`;
    lastTaskName = name;
  }
  return lastTaskNamePiece;
}

/** `,"tags":<tags>,"created":"` */
function tagsPiece(tags: readonly string[]): string {
  if (tags === lastTags) return lastTagsPiece;
  const piece = `,"tags":${JSON.stringify(tags)},"created":"`;
  if (Object.isFrozen(tags)) {
    lastTags = tags;
    lastTagsPiece = piece;
  }
  return piece;
}

/** Any event as a JSON line (events read back from files, marks): every field is checked before it is written as it is. */
export function encodeEvent(event: EngineEvent): string {
  if (event.e === "state") {
    if (plainState(event) && plainId(event.id) && plainId(event.ts)) return stateLine(event, "");
  } else if (event.e === "task_run") {
    if (plainTaskRun(event) && plainId(event.id) && plainId(event.flowRunId) && plainId(event.created) && optionalPlainId(event.running) && optionalPlainId(event.completed)) {
      return taskRunLine(event, "");
    }
  }
  return JSON.stringify(event);
}

function optionalPlainId(id: string | undefined): boolean {
  return id === undefined || plainId(id);
}

/**
 * An event the engine made, as a JSON line with its newline. Its ids are the engine's own (ids.ts) and its times come
 * from isoTime, so they are written without a look at their characters (that look cost a no-op task run
 * a tenth of its time); names and everything else are checked as encodeEvent checks them.
 */
export function encodeEngineEvent(event: EngineEvent): string {
  if (event.e === "state") {
    if (plainState(event)) return stateLine(event, "\n");
  } else if (event.e === "task_run") {
    if (plainTaskRun(event)) return taskRunLine(event, "\n");
  }
  return `${JSON.stringify(event)}\n`;
}

function plainState(event: StateEvent): boolean {
  return event.message === undefined && event.resultKey === undefined && event.result === undefined && (STATE_NAMES.has(event.name) || PLAIN_NAME.test(event.name));
}

// A line is made of fixed pieces and the event's own strings: few pieces, so that writing the batch
// (which walks every piece of every line) stays cheap.
const STATE_HEAD = { flow: '{"e":"state","kind":"flow","id":"', task: '{"e":"state","kind":"task","id":"' };
/** `","type":"<type>","name":"<name>","ts":"` by type and name. */
const stateMiddles: Record<string, Record<string, string>> = Object.create(null);
/** `","runCount":<n>}` for the first run counts, without and with the line's newline. */
const COUNT_TAILS = Array.from({ length: 10 }, (_, n) => `","runCount":${n}}`);
const COUNT_LINE_TAILS = COUNT_TAILS.map((tail) => `${tail}\n`);

function stateMiddle(type: string, name: string): string {
  const byName = (stateMiddles[type] ??= Object.create(null) as Record<string, string>);
  return (byName[name] ??= `","type":"${type}","name":"${name}","ts":"`);
}

function stateLine(event: StateEvent, end: "" | "\n"): string {
  const count = event.runCount;
  const tail =
    count !== undefined && count >= 0 && count < 10 ? (end === "" ? COUNT_TAILS : COUNT_LINE_TAILS)[count] : `"${count === undefined ? "" : `,"runCount":${count | 0}`}}${end}`;
  return STATE_HEAD[event.kind] + event.id + stateMiddle(event.type, event.name) + event.ts + tail;
}

/** A task_run event with every field of the fixed form, of the type it should have (events read back from old files may not). */
function plainTaskRun(event: TaskRunCreatedEvent): boolean {
  return event.cacheKey === undefined && event.parameters !== undefined && Array.isArray(event.tags) && typeof event.name === "string" && typeof event.taskName === "string";
}

/**
 * The same text JSON.stringify gives for these fields in this order: created, then running and completed
 * when the line stands for those states too, last, as the store reads them.
 */
function taskRunLine(event: TaskRunCreatedEvent, end: "" | "\n"): string {
  let tail = end === "" ? '"}' : '"}\n';
  if (event.running !== undefined) tail = event.completed !== undefined ? RUNNING + event.running + COMPLETED + event.completed + tail : RUNNING + event.running + tail;
  return taskRunHead(event) + tail;
}

/** `","running":"` and `","completed":"`: the states a task_run line can stand for (see TaskRunCreatedEvent). */
export const RUNNING = '","running":"';
export const COMPLETED = '","completed":"';

/**
 * A task_run line the engine made, up to its creation time's closing quote: the journal ends it as the task
 * run's next events allow (journal.ts). Undefined when the event has no fixed form.
 */
export function engineTaskRunHead(event: TaskRunCreatedEvent): string | undefined {
  return plainTaskRun(event) && event.running === undefined && event.completed === undefined ? taskRunHead(event) : undefined;
}

function taskRunHead(event: TaskRunCreatedEvent): string {
  return (
    '{"e":"task_run","id":"' + event.id + '","flowRunId":"' + event.flowRunId + '","name":' + quoted(event.name) +
    taskNamePiece(event.taskName) + parametersJson(event.parameters) + tagsPiece(event.tags) + event.created
  );
}

/** `"<key>":` of the parameter names seen: a task's runs mostly have the same few. */
const keyPieces = new Map<string, string>();
const MAX_KEY_PIECES = 1000;

/**
 * A task run's parameters as JSON.stringify writes them. Most are a few numbers, short strings and flags
 * (JSON.stringify alone cost a no-op task run as much as the rest of its task_run line): those are
 * written directly; anything else goes through JSON.stringify.
 */
function parametersJson(parameters: unknown): string {
  if (typeof parameters !== "object" || parameters === null || Object.getPrototypeOf(parameters) !== Object.prototype) return JSON.stringify(parameters);
  const keys = Object.keys(parameters);
  if (keys.length > 8) return JSON.stringify(parameters);
  let text = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let piece = keyPieces.get(key);
    if (piece === undefined) {
      if (!plainText(key)) return JSON.stringify(parameters);
      piece = `"${key}":`;
      if (keyPieces.size < MAX_KEY_PIECES) keyPieces.set(key, piece);
    }
    const value = (parameters as Record<string, unknown>)[key];
    let json: string;
    if (typeof value === "number" && Number.isFinite(value)) json = `${value}`;
    else if (typeof value === "string" && value.length <= 200 && plainText(value)) json = `"${value}"`;
    else if (typeof value === "boolean") json = value ? "true" : "false";
    else if (value === null) json = "null";
    else return JSON.stringify(parameters);
    text += i === 0 ? piece + json : `,${piece}${json}`;
  }
  return `${text}}`;
}
