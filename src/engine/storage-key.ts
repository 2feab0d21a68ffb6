import * as fs from "node:fs";
import * as path from "node:path";
import { quoteCut, UserError } from "./errors";

// Result storage keys: templates in Python's str.format syntax as Prefect uses it
// (`hello__{parameters[name]}.json`, `{flow_run.flow_name}/{flow_run.scheduled_start_time:%Y-%m-%d}.json`),
// with the camelCase spellings a TypeScript user writes. A rendered key is checked before anything is
// written: it must stay inside the storage folder, also through symbolic links.

export interface StorageKeyScope {
  /** `{parameters.x}`: the task's own parameters with defaults (or the flow's, for a flow's key). */
  parameters: Record<string, unknown>;
  flowRun: object;
  taskRun: object;
  /** Whose parameters `parameters` are, for error messages; "task" by default. */
  owner?: "task" | "flow";
}

/** A storage key template that cannot be rendered, or a key that would leave the storage folder. */
export class StorageKeyError extends UserError {
  override name = "StorageKeyError";
  constructor(
    message: string,
    /** The template (or the key, when no template is known). */
    readonly template: string,
  ) {
    super(message);
  }
}

interface Step {
  name: string;
  /** As written, for messages: `.name` or `[name]`. */
  text: string;
}

interface Field {
  /** The field as written between the braces, before any `:format`. */
  text: string;
  steps: Step[];
  format: string | undefined;
}

type Part = string | Field;

function parseTemplate(template: string): Part[] {
  const fail = (what: string) => new StorageKeyError(`The result storage key "${template}" ${what}; nothing was written.`, template);
  const parts: Part[] = [];
  let literal = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "}") {
      if (template[i + 1] !== "}") throw fail(`has a single "}" at position ${i}; write "}}" for a literal brace`);
      literal += "}";
      i += 2;
      continue;
    }
    if (c !== "{") {
      literal += c;
      i++;
      continue;
    }
    if (template[i + 1] === "{") {
      literal += "{";
      i += 2;
      continue;
    }
    // A field runs to the next "}", except inside [...] before the format's ":" (as in Python).
    let j = i + 1;
    let depth = 0;
    let colon = -1;
    for (; j < template.length; j++) {
      const d = template[j];
      if (colon < 0 && d === "[") depth++;
      else if (colon < 0 && d === "]") depth = Math.max(0, depth - 1);
      else if (depth === 0 && d === "}") break;
      else if (depth === 0 && colon < 0 && d === ":") colon = j;
      else if (d === "{") throw fail(`has a "{" inside the field starting at position ${i}; write "{{" for a literal brace`);
    }
    if (j >= template.length) throw fail(`has a "{" at position ${i} that is never closed; write "{{" for a literal brace`);
    const text = template.slice(i + 1, colon < 0 ? j : colon).trim();
    const format = colon < 0 ? undefined : template.slice(colon + 1, j);
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push({ text, steps: parseField(text, fail), format: format === "" ? undefined : format });
    i = j + 1;
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

/** `a.b[c][0]` → steps a, b, c, 0. Item keys may be quoted (`["c"]`), which Python would not allow. */
function parseField(text: string, fail: (what: string) => StorageKeyError): Step[] {
  if (text === "") throw fail(`has an empty field "{}"; name a value, such as {parameters.name}`);
  const root = /^[^.[\]]+/.exec(text);
  if (!root) throw fail(`has a field "{${text}}" that does not start with a name, such as parameters`);
  const steps: Step[] = [{ name: root[0], text: root[0] }];
  const step = /\.([^.[\]]+)|\[([^\]]*)\]/y;
  step.lastIndex = root[0].length;
  while (step.lastIndex < text.length) {
    const m = step.exec(text);
    if (!m) throw fail(`has a field "{${text}}" that cannot be read after "${text.slice(0, step.lastIndex)}"`);
    if (m[1] !== undefined) steps.push({ name: m[1], text: `.${m[1]}` });
    else steps.push({ name: m[2].replace(/^(["'])(.*)\1$/, "$2"), text: `[${m[2]}]` });
  }
  return steps;
}

const ROOTS: Record<string, "parameters" | "flowRun" | "taskRun"> = {
  parameters: "parameters",
  flowRun: "flowRun",
  flow_run: "flowRun",
  taskRun: "taskRun",
  task_run: "taskRun",
};

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Own fields, and fields a runtime object has through getters; never Object.prototype's (`constructor`). */
function hasField(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) || (key in obj && !(key in Object.prototype));
}

function fieldNames(obj: object): string[] {
  const names = new Set(Object.keys(obj));
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== null && proto !== Object.prototype && typeof proto === "object") {
    for (const k of Object.getOwnPropertyNames(proto)) if (k !== "constructor") names.add(k);
  }
  return [...names];
}

function lookupField(template: string, field: Field, scope: StorageKeyScope): unknown {
  const [first, ...rest] = field.steps;
  const root = ROOTS[first.name];
  if (root === undefined) {
    throw new StorageKeyError(
      `The result storage key "${template}" names {${field.text}}, but "${first.name}" is not something a key can use; ` +
        `it can use parameters, flowRun (or flow_run) and taskRun (or task_run); nothing was written.`,
      template,
    );
  }
  let value: unknown = scope[root];
  let written = first.text;
  for (let i = 0; i < rest.length; i++) {
    const { name, text } = rest[i];
    const here = written;
    written += text;
    const fail = (why: string) =>
      new StorageKeyError(`The result storage key "${template}" names ${written}, but ${why}; nothing was written.`, template);
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      throw fail(`${here} is ${value === null ? "null" : `a ${typeof value}`}, which has no field '${name}'`);
    }
    const obj = value as object;
    if (Array.isArray(obj) && /^\d+$/.test(name)) {
      if (Number(name) >= obj.length) throw fail(`${here} has ${obj.length} item(s), so no item [${name}]`);
      value = obj[Number(name)];
      continue;
    }
    if (obj instanceof Map) {
      if (!obj.has(name)) throw fail(`the Map ${here} has no key '${name}'`);
      value = obj.get(name);
      continue;
    }
    // Runtime fields take either spelling (flow_name, flowName); the user's own names are exact.
    const runtimeField = i === 0 && root !== "parameters";
    const key = hasField(obj, name) ? name : runtimeField && hasField(obj, camel(name)) ? camel(name) : undefined;
    if (key === undefined) {
      const names = fieldNames(obj);
      const has = names.length === 0 ? "it has none" : `it has: ${names.slice(0, 30).join(", ")}${names.length > 30 ? ", ..." : ""}`;
      const owner =
        i === 0 && root === "parameters"
          ? `the ${scope.owner ?? "task"} has no parameter '${name}'`
          : i === 1 && root !== "parameters" && rest[0].name === "parameters"
            ? `the ${root === "flowRun" ? "flow run" : "task run"} has no parameter '${name}'`
            : `${here} has no field '${name}'`;
      throw fail(`${owner} (${has})`);
    }
    value = (obj as Record<string, unknown>)[key];
  }
  if (value === undefined) {
    throw new StorageKeyError(
      `The result storage key "${template}" names ${written}, which is undefined here; give it a value or use another field; nothing was written.`,
      template,
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Values and date formats.

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A Date, or a string holding an ISO date (parameters often carry dates as text); zone-less means UTC. */
function asDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== "string") return undefined;
  const m = ISO_DATE.exec(value.trim());
  if (!m) return undefined;
  const zone = m[3] === undefined ? "Z" : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
  const d = new Date(m[2] === undefined ? `${m[1]}T00:00:00Z` : `${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

type DatePart = (d: Date) => string;
const year: DatePart = (d) => String(d.getUTCFullYear());
const year2: DatePart = (d) => pad(d.getUTCFullYear() % 100);
const month: DatePart = (d) => pad(d.getUTCMonth() + 1);
const day: DatePart = (d) => pad(d.getUTCDate());
const hour: DatePart = (d) => pad(d.getUTCHours());
const minute: DatePart = (d) => pad(d.getUTCMinutes());
const second: DatePart = (d) => pad(d.getUTCSeconds());

/** strftime directives, as Prefect's keys use them (`%Y-%m-%d`). */
const STRFTIME: Readonly<Record<string, DatePart>> = {
  Y: year, y: year2, m: month, d: day, H: hour, M: minute, S: second,
  f: (d) => pad(d.getUTCMilliseconds() * 1000, 6),
  j: (d) => pad(dayOfYear(d), 3),
  a: (d) => DAYS[d.getUTCDay()].slice(0, 3),
  A: (d) => DAYS[d.getUTCDay()],
  b: (d) => MONTHS[d.getUTCMonth()].slice(0, 3),
  B: (d) => MONTHS[d.getUTCMonth()],
  z: () => "+0000",
  Z: () => "UTC",
  "%": () => "%",
};

/** Tokens, as JavaScript date libraries write them (`YYYY-MM-DD`). */
const TOKENS: Readonly<Record<string, DatePart>> = {
  YYYY: year, YY: year2, MM: month, DD: day, HH: hour, mm: minute, ss: second,
  SSS: (d) => pad(d.getUTCMilliseconds(), 3),
};

/** Formats in UTC: strftime directives (`%Y-%m-%d`, as in Prefect) or tokens (`YYYY-MM-DD`). */
function formatDate(d: Date, format: string, fail: (what: string) => StorageKeyError): string {
  if (format.includes("%")) {
    return format.replace(/%(.?)/g, (_, c: string) => {
      const part = Object.hasOwn(STRFTIME, c) ? STRFTIME[c] : undefined;
      if (part) return part(d);
      const known = Object.keys(STRFTIME).map((k) => `%${k}`).join(" ");
      throw fail(`has the date format "${format}" with "%${c}", which Flowline does not know (it knows ${known})`);
    });
  }
  return format.replace(/YYYY|YY|MM|DD|HH|mm|ss|SSS/g, (t) => TOKENS[t](d));
}

function renderValue(template: string, field: Field, value: unknown): string {
  const fail = (what: string) => new StorageKeyError(`The result storage key "${template}" ${what}; nothing was written.`, template);
  if (field.format !== undefined) {
    const d = asDate(value);
    if (d === undefined) {
      const shown = typeof value === "string" ? JSON.stringify(value) : value === null ? "null" : `a ${typeof value}`;
      throw fail(`formats {${field.text}} with ":${field.format}", but its value ${shown} is not a date (formats apply only to dates)`);
    }
    return formatDate(d, field.format, fail);
  }
  switch (typeof value) {
    case "string": return value;
    case "number": case "boolean": case "bigint": return String(value);
    case "function": case "symbol": throw fail(`names ${field.text}, which is a ${typeof value} and cannot be part of a key`);
  }
  if (value === null) return "null";
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw fail(`names ${field.text}, which is an invalid date`);
    return value.toISOString();
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw fail(`names ${field.text}, whose value cannot be written as JSON (${(err as Error).message})`);
  }
  return json ?? "undefined";
}

// ---------------------------------------------------------------------------------------------------
// Rendering and the safety checks.

/** Renders a `resultStorageKey` template; the key it returns is checked to be a safe relative path. */
export function renderStorageKey(template: string, scope: StorageKeyScope): string {
  let key = "";
  for (const part of parseTemplate(template)) {
    key += typeof part === "string" ? part : renderValue(template, part, lookupField(template, part, scope));
  }
  checkKey(key, template);
  return key;
}

function refuse(key: string, template: string | undefined, why: string): StorageKeyError {
  const subject =
    template !== undefined && template !== key
      ? `The result storage key ${shown(template)} rendered to ${shown(key)}, which`
      : `The result storage key ${shown(key)}`;
  return new StorageKeyError(`${subject} ${why}; nothing was written.`, template ?? key);
}

/** A template or key as a message shows it: whole, or its beginning and its length when it is long. */
function shown(text: string): string {
  return text.length > 120 ? `${quoteCut(text, 40)} (${text.length} characters)` : JSON.stringify(text);
}

// Limits of the text alone, the same on every platform: a name of a file or folder holds 255 bytes on
// common file systems, and a key stays well below the shortest PATH_MAX (1024 bytes on macOS).
const MAX_NAME_BYTES = 255;
const MAX_KEY_BYTES = 1024;

/** Checks on the text alone, so a key is refused the same way on every platform. */
function checkKey(key: string, template: string | undefined): void {
  if (key === "") throw refuse(key, template, "is empty");
  if (key.includes("\0")) throw refuse(key, template, "contains a NUL character");
  if (/^[\\/]/.test(key) || /^[A-Za-z]:/.test(key)) {
    throw refuse(key, template, "is an absolute path (a key is a path relative to the storage folder)");
  }
  const segments = key.split(/[\\/]/);
  if (segments.includes("..")) throw refuse(key, template, 'has a ".." segment and would leave the storage folder');
  if (segments[segments.length - 1] === "" || segments[segments.length - 1] === ".") {
    throw refuse(key, template, 'ends with "/" (a key names a file, not a folder)');
  }
  for (const segment of segments) {
    const bytes = Buffer.byteLength(segment);
    if (bytes > MAX_NAME_BYTES) {
      throw refuse(key, template, `has a name of ${bytes} bytes; a file or folder name holds at most ${MAX_NAME_BYTES} bytes (make the key, or the parameter in it, shorter)`);
    }
  }
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) throw refuse(key, template, `is ${bytes} bytes long; a key holds at most ${MAX_KEY_BYTES} bytes (use fewer or shorter folders)`);
}

const isInside = (folder: string, p: string): boolean => {
  const rel = path.relative(folder, p);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
};

/**
 * The real path of `p`, following symbolic links in the part that exists; the rest is appended as is.
 * Returns undefined when a link on the way leads nowhere (its target could be created outside).
 */
function realPathOfExisting(p: string): string | undefined {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...missing.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
      try {
        fs.lstatSync(cur);
        return undefined; // it exists but cannot be resolved: a dangling link
      } catch {
        // does not exist: go up
      }
      const parent = path.dirname(cur);
      if (parent === cur) return path.join(cur, ...missing.reverse());
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

// The storage folder's real path, once per process (the folder does not move while flows run).
const realRoots = new Map<string, string>();

function realRootOf(root: string): string {
  const known = realRoots.get(root);
  if (known !== undefined) return known;
  const real = realPathOfExisting(root) ?? root;
  if (fs.existsSync(root)) realRoots.set(root, real);
  return real;
}

/** For a key the file system refused as too long (ENAMETOOLONG): the storage folder's own path counts too. */
export function keyTooLongHere(key: string, template: string | undefined): StorageKeyError {
  return refuse(key, template, "makes a path too long for this file system (ENAMETOOLONG) under the storage folder; use a shorter key");
}

/** The file a key names under the storage folder; refuses any key that would land outside it. */
export function resolveStoragePath(storageDir: string, key: string, template?: string): string {
  checkKey(key, template);
  const root = path.resolve(storageDir);
  const file = path.resolve(root, key);
  if (!isInside(root, file)) throw refuse(key, template, "would leave the storage folder");
  const realRoot = realRootOf(root);
  // The common key, one plain name directly in the folder: only the file itself can be a link out.
  if (!key.includes("/") && !key.includes("\\")) {
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (st === undefined || !st.isSymbolicLink()) return file;
  }
  const realFile = realPathOfExisting(file);
  if (realFile === undefined || !isInside(realRoot, realFile)) {
    throw refuse(key, template, `goes through a symbolic link that leads outside the storage folder ${JSON.stringify(root)}`);
  }
  return file;
}
