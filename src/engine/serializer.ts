import { types } from "node:util";
import { UserError } from "./errors";

// Result serializers and the result file format. The JSON serializer keeps plain data as plain JSON
// (`{"a":1}` stays `{"a":1}`) and writes everything JSON cannot hold as a tagged object
// `{"$flowline":"<Type>","value":...}`. A user object that has the `$flowline` key itself is escaped
// as `{"$flowline":"Object","value":{...}}`, so any object round-trips.
//
// What is lost, on purpose: class instances keep their own enumerable fields but not their prototype
// (they come back as plain objects; an object with a `toJSON()` is stored as what it returns, as with
// JSON.stringify); symbol-keyed properties are dropped; an object reached twice is stored twice.

/** The reserved key of tagged values. */
export const TAG = "$flowline";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Serializer {
  readonly type: string;
  /** The value as a JSON value, stored as the document's `data`. It may share parts with `value`: read only. */
  dumps(value: unknown): JsonValue;
  loads(data: unknown): unknown;
}

/** A user's own serializer (`resultSerializer: { dumps, loads }`), stored with type "custom". */
export interface UserSerializer {
  dumps(value: unknown): string | Uint8Array;
  loads(data: string | Uint8Array): unknown;
}

export type SerializerOption = "json" | UserSerializer | undefined;

/** A value cannot be persisted, or the serializer option is not one Flowline has. */
export class SerializationError extends UserError {
  override name = "SerializationError";
}

/** A stored result cannot be read: not a Flowline result, a serializer not available, bad data. */
export class ResultFormatError extends UserError {
  override name = "ResultFormatError";
}

// ---------------------------------------------------------------------------------------------------
// Encoding. One walk builds the JSON value; an object or array whose children all encode to themselves
// is returned as is (no copy), so ordinary JSON-ish data costs one walk and no allocation.

type Segment = string | number | { label: string };

interface EncodeState {
  /** The objects being encoded, outermost first: a value found here is a cycle. */
  readonly ancestors: object[];
  /** How the current value was reached; formatted only for an error message. */
  readonly path: Segment[];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function formatPath(path: readonly Segment[]): string {
  let s = "value";
  for (const seg of path) {
    if (typeof seg === "number") s += `[${seg}]`;
    else if (typeof seg === "string") s += IDENTIFIER.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
    else s += seg.label;
  }
  return s;
}

function unpersistable(what: string, st: EncodeState, advice: string): SerializationError {
  return new SerializationError(`The result cannot be persisted: ${what} at ${formatPath(st.path)}; ${advice}.`);
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const isPlainNumber = (n: number): boolean => n === n && n !== Infinity && n !== -Infinity && (n !== 0 || 1 / n > 0);

const tagged = (type: string, value?: unknown): Record<string, unknown> =>
  value === undefined ? { [TAG]: type } : { [TAG]: type, value };

const UNDEFINED = Object.freeze(tagged("undefined"));

/** Sets a field even when it is named `__proto__` (plain assignment would change the prototype). */
function setField(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function encode(v: unknown, st: EncodeState): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      return isPlainNumber(v) ? v : tagged("Number", Object.is(v, -0) ? "-0" : String(v));
    case "undefined":
      return UNDEFINED;
    case "bigint":
      return tagged("BigInt", v.toString());
    case "function":
      throw unpersistable("a function", st, "return plain data from the task or flow");
    case "symbol":
      throw unpersistable("a symbol", st, "return plain data from the task or flow");
  }
  if (v === null) return null;
  const obj = v as object;
  const at = st.ancestors.indexOf(obj);
  if (at >= 0) {
    const back = formatPath(st.path.slice(0, at));
    throw new SerializationError(
      `The result cannot be persisted: it is circular: ${formatPath(st.path)} refers back to ${back}; return data without cycles.`,
    );
  }
  if (Array.isArray(obj)) return encodeArray(obj, st);
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) return encodeFields(obj, st);
  return encodeSpecial(obj, st);
}

/** Encodes a child value, recording how it was reached for error messages. */
function child(v: unknown, seg: Segment, st: EncodeState): unknown {
  st.path.push(seg);
  const e = encode(v, st);
  st.path.pop();
  return e;
}

function encodeArray(a: readonly unknown[], st: EncodeState): unknown {
  let out: unknown[] | undefined;
  st.ancestors.push(a);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const t = typeof x;
    const e = t === "string" || t === "boolean" || (t === "number" && isPlainNumber(x as number)) ? x : child(x, i, st);
    if (e !== x && out === undefined) out = a.slice(0, i);
    if (out !== undefined) out.push(e);
  }
  st.ancestors.pop();
  return out ?? a;
}

function encodeFields(o: object, st: EncodeState): unknown {
  const rec = o as Record<string, unknown>;
  const keys = Object.keys(rec);
  let out: Record<string, unknown> | undefined;
  st.ancestors.push(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = rec[k];
    const t = typeof x;
    const e = t === "string" || t === "boolean" || (t === "number" && isPlainNumber(x as number)) ? x : child(x, k, st);
    if (e !== x && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setField(out, keys[j], rec[keys[j]]);
    }
    if (out !== undefined) setField(out, k, e);
  }
  st.ancestors.pop();
  // A class instance returned as is would still be written by JSON.stringify as its own enumerable fields.
  return hasOwn(rec, TAG) ? tagged("Object", out ?? rec) : (out ?? o);
}

const TYPED_ARRAYS: Record<string, new (buffer: ArrayBufferLike) => ArrayBufferView> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
};

const base64 = (b: ArrayBufferView | ArrayBuffer): string =>
  (ArrayBuffer.isView(b) ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.from(b)).toString("base64");

function encodeSpecial(obj: object, st: EncodeState): unknown {
  if (obj instanceof Date) return tagged("Date", Number.isNaN(obj.getTime()) ? null : obj.toISOString());
  if (Buffer.isBuffer(obj)) return tagged("Buffer", base64(obj));
  if (ArrayBuffer.isView(obj)) {
    const type = Object.prototype.toString.call(obj).slice(8, -1); // the built-in name, even for a subclass
    if (!hasOwn(TYPED_ARRAYS, type)) throw unpersistable(`a ${type}`, st, "return a Uint8Array or plain data instead");
    return tagged(type, base64(obj));
  }
  if (obj instanceof ArrayBuffer) return tagged("ArrayBuffer", base64(obj));
  if (obj instanceof Map) return encodeEntries("Map", obj, st);
  if (obj instanceof Set) return encodeEntries("Set", obj, st);
  if (obj instanceof RegExp) return tagged("RegExp", { source: obj.source, flags: obj.flags });
  if (obj instanceof Error || types.isNativeError(obj)) return encodeError(obj as Error, st);
  if (types.isPromise(obj)) throw unpersistable("a Promise", st, "await it before returning");
  if (obj instanceof WeakMap || obj instanceof WeakSet || obj instanceof WeakRef) {
    throw unpersistable(`a ${obj.constructor.name}`, st, "its contents cannot be read; return plain data instead");
  }
  if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) return encode(obj.valueOf(), st);
  const toJSON: unknown = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    const replaced: unknown = toJSON.call(obj);
    if (replaced !== obj) {
      st.ancestors.push(obj);
      const e = child(replaced, { label: ".toJSON()" }, st);
      st.ancestors.pop();
      return e;
    }
  }
  return encodeFields(obj, st);
}

function encodeEntries(type: "Map" | "Set", c: Map<unknown, unknown> | Set<unknown>, st: EncodeState): unknown {
  const out: unknown[] = [];
  st.ancestors.push(c);
  let i = 0;
  if (c instanceof Map) {
    for (const [k, v] of c) {
      const name = typeof k === "string" || typeof k === "number" ? JSON.stringify(k) : `<key #${i}>`;
      out.push([child(k, { label: `.keys()[${i}]` }, st), child(v, { label: `.get(${name})` }, st)]);
      i++;
    }
  } else {
    for (const v of c) out.push(child(v, { label: `.values()[${i++}]` }, st));
  }
  st.ancestors.pop();
  return tagged(type, out);
}

/** Fields every error has, stored by name; any other own enumerable field (`code`, ...) goes in `props`. */
const ERROR_FIELDS = new Set(["name", "message", "stack", "cause"]);

function encodeError(err: Error, st: EncodeState): unknown {
  st.ancestors.push(err);
  const value: Record<string, unknown> = { name: String(err.name), message: String(err.message) };
  if (typeof err.stack === "string") value.stack = err.stack;
  if (hasOwn(err, "cause")) value.cause = child(err.cause, "cause", st);
  if (err instanceof AggregateError) value.errors = child(err.errors, "errors", st);
  const props: Record<string, unknown> = {};
  let any = false;
  for (const k of Object.keys(err)) {
    if (ERROR_FIELDS.has(k)) continue;
    setField(props, k, child((err as unknown as Record<string, unknown>)[k], k, st));
    any = true;
  }
  if (any) value.props = props;
  st.ancestors.pop();
  return tagged("Error", value);
}

// ---------------------------------------------------------------------------------------------------
// Decoding: the mirror walk, also copy-on-write. Every object with a `$flowline` key is a tag, because
// user objects that have one were escaped.

function decode(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return decodeArray(v);
  const rec = v as Record<string, unknown>;
  const tag = rec[TAG];
  return tag === undefined ? decodeFields(rec) : decodeTagged(tag, rec.value);
}

function decodeArray(a: readonly unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const d = typeof x === "object" && x !== null ? decode(x) : x;
    if (d !== x && out === undefined) out = a.slice(0, i);
    if (out !== undefined) out.push(d);
  }
  return (out ?? a) as unknown[];
}

function decodeFields(rec: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(rec);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = rec[k];
    const d = typeof x === "object" && x !== null ? decode(x) : x;
    if (d !== x && out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setField(out, keys[j], rec[keys[j]]);
    }
    if (out !== undefined) setField(out, k, d);
  }
  return out ?? rec;
}

const NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

const bytes = (s: unknown): Buffer => Buffer.from(s as string, "base64");

function decodeTagged(tag: unknown, value: unknown): unknown {
  switch (tag) {
    case "undefined":
      return undefined;
    case "Number":
      if (typeof value === "string" && hasOwn(NUMBERS, value)) return NUMBERS[value];
      break;
    case "BigInt":
      return BigInt(value as string);
    case "Date":
      return new Date(value === null ? NaN : (value as string));
    case "Map":
      return new Map((value as [unknown, unknown][]).map(([k, v]) => [decode(k), decode(v)]));
    case "Set":
      return new Set((value as unknown[]).map(decode));
    case "RegExp": {
      const r = value as { source: string; flags: string };
      return new RegExp(r.source, r.flags);
    }
    case "Buffer":
      return bytes(value);
    case "ArrayBuffer": {
      const b = bytes(value);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }
    case "Error":
      return decodeError(value as Record<string, unknown>);
    case "Object":
      return decodeFields(value as Record<string, unknown>);
  }
  if (typeof tag === "string" && hasOwn(TYPED_ARRAYS, tag)) {
    const b = bytes(value);
    return new TYPED_ARRAYS[tag](b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  throw new ResultFormatError(`The result's data has a tagged value Flowline does not know: ${JSON.stringify({ [TAG]: tag, value })}.`);
}

/** Rebuilds a built-in error class by name (TypeError, ...); any other name is an Error with that name. */
function decodeError(f: Record<string, unknown>): Error {
  const name = String(f.name);
  const message = String(f.message ?? "");
  let err: Error;
  if (name === "AggregateError") err = new AggregateError((decode(f.errors) as unknown[] | undefined) ?? [], message);
  else {
    err = new (hasOwn(BUILTIN_ERRORS, name) ? BUILTIN_ERRORS[name] : Error)(message);
    if (err.name !== name) err.name = name;
  }
  if (typeof f.stack === "string") err.stack = f.stack;
  // Non-enumerable, as `new Error(message, { cause })` makes it.
  if (hasOwn(f, "cause")) Object.defineProperty(err, "cause", { value: decode(f.cause), writable: true, configurable: true });
  if (typeof f.props === "object" && f.props !== null) {
    const props = f.props as Record<string, unknown>;
    for (const k of Object.keys(props)) setField(err as unknown as Record<string, unknown>, k, decode(props[k]));
  }
  return err;
}

// ---------------------------------------------------------------------------------------------------
// Serializers. The result document that holds their output is in result-document.ts.

export const jsonSerializer: Serializer = Object.freeze({
  type: "json",
  dumps(value: unknown): JsonValue {
    return encode(value, { ancestors: [], path: [] }) as JsonValue;
  },
  loads(data: unknown): unknown {
    try {
      return decode(data);
    } catch (err) {
      if (err instanceof ResultFormatError) throw err;
      throw new ResultFormatError(`The result's data is malformed: ${(err as Error).message}.`, { cause: err });
    }
  },
});

/** Wraps a user serializer: text is stored as is, bytes as base64 with an encoding marker. */
export function customSerializer(user: UserSerializer): Serializer {
  return {
    type: "custom",
    dumps(value: unknown): JsonValue {
      const out: unknown = user.dumps(value);
      if (typeof out === "string") return out;
      if (out instanceof Uint8Array) return { encoding: "base64", value: base64(out) };
      throw new SerializationError(
        `The custom resultSerializer's dumps() returned ${out === null ? "null" : typeof out}; it must return a string or a Uint8Array.`,
      );
    },
    loads(data: unknown): unknown {
      if (typeof data === "string") return user.loads(data);
      const rec = data as { encoding?: unknown; value?: unknown } | null;
      if (rec !== null && typeof rec === "object" && rec.encoding === "base64" && typeof rec.value === "string") {
        return user.loads(bytes(rec.value));
      }
      throw new ResultFormatError(`The result's data is not what a custom serializer writes (a string, or {"encoding":"base64","value":...}).`);
    },
  };
}

const isUserSerializer = (o: unknown): o is UserSerializer =>
  typeof o === "object" && o !== null && typeof (o as UserSerializer).dumps === "function" && typeof (o as UserSerializer).loads === "function";

/** The serializer for a `resultSerializer` option: "json" (the default) or an object with dumps/loads. */
export function resolveSerializer(option: SerializerOption): Serializer {
  if (option === undefined || option === "json" || option === jsonSerializer) return jsonSerializer;
  if (isUserSerializer(option)) return customSerializer(option);
  const got = typeof option === "string" ? JSON.stringify(option) : option === null ? "null" : typeof option;
  const prefect = typeof option === "string" && /pickle|compressed/.test(option) ? ` (${got} is a Prefect serializer; Flowline has "json")` : "";
  throw new SerializationError(
    `resultSerializer must be "json" or an object with dumps(value) and loads(data) functions; got ${got}${prefect}.`,
  );
}
