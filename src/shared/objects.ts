// Small checks on values that every layer makes the same way.

/** An object whose prototype is Object.prototype (of any realm) or null: a literal, parsed JSON, not a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
