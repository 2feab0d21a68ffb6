import { types } from "node:util";

// Values made safe to show and to store as JSON (parameters, result previews): never throws. Anything
// that is not JSON is shown by its type; large values are cut, saying how much was left out.

const MAX_ARRAY = 200;
const MAX_STRING = 4000;
const MAX_DEPTH = 8;
const MAX_KEYS = 200;

export function toJsonSafe(value: unknown, depth = 0, seen?: Set<object>): unknown {
  switch (typeof value) {
    case "string":
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length - MAX_STRING} more characters)` : value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
      return value;
    case "undefined":
      return null;
    case "bigint":
      return value.toString();
    case "symbol":
      return `[Symbol ${value.description ?? ""}]`;
    case "function":
      return `[Function ${value.name || "anonymous"}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  // Looking into a Proxy runs its traps, which may throw.
  if (types.isProxy(obj)) return "[Proxy]";
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
  if (obj instanceof Error) return { name: obj.name, message: obj.message };
  if (depth >= MAX_DEPTH) return Array.isArray(obj) ? `[Array(${obj.length})]` : "[Object]";
  seen ??= new Set();
  if (seen.has(obj)) return "[Circular]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const n = Math.min(obj.length, MAX_ARRAY);
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = toJsonSafe(obj[i], depth + 1, seen);
      if (obj.length > MAX_ARRAY) out.push(`… ${obj.length - MAX_ARRAY} more items`);
      return out;
    }
    if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name}(${obj.byteLength} bytes)]`;
    if (obj instanceof Map) {
      const out: Record<string, unknown> = {};
      let i = 0;
      for (const [k, v] of obj) {
        if (i++ >= MAX_KEYS) break;
        out[String(k)] = toJsonSafe(v, depth + 1, seen);
      }
      return out;
    }
    if (obj instanceof Set) return toJsonSafe([...obj], depth, seen);
    if (typeof (obj as { toJSON?: unknown }).toJSON === "function") {
      try {
        return toJsonSafe((obj as { toJSON(): unknown }).toJSON(), depth + 1, seen);
      } catch {
        return `[${obj.constructor?.name ?? "Object"}]`;
      }
    }
    const out: Record<string, unknown> = {};
    let i = 0;
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      if (i++ >= MAX_KEYS) {
        out["…"] = "more keys left out";
        break;
      }
      out[key] = toJsonSafe((obj as Record<string, unknown>)[key], depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** Whether a value is plain data that JSON can hold as it is (so it can be shown without conversion). */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (value === null) return true;
  const t = typeof value;
  if (t === "string" || t === "boolean") return true;
  if (t === "number") return Number.isFinite(value as number);
  if (t !== "object" || depth > 3) return false;
  if (Array.isArray(value)) {
    if (value.length > 50) return false;
    for (const v of value) if (!isPlainJson(v, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let n = 0;
  for (const k in value as object) {
    if (++n > 50) return false;
    if (!isPlainJson((value as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}
