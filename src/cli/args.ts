import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "../engine/errors";

/** Parses a command's arguments; anything unknown or malformed is a UserError (exit 2). */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  usage: string,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (err) {
    throw new UserError(`${(err as Error).message.replace(/\.$/, "")}. Usage: ${usage}`);
  }
}

/** `--param key=value`: the value as JSON when it parses, else as text (so name=foo needs no quotes); a whole number too big for a double stays text. */
export function parseParam(text: string): [string, unknown] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UserError(`--param ${JSON.stringify(text)} is not key=value; write it as --param name=value.`);
  const key = text.slice(0, eq).trim();
  // Assigned with `parameters[key] = value`, this name would replace the object's prototype instead.
  if (key === "__proto__") throw new UserError(`--param ${key}=… is refused: "__proto__" cannot be a parameter name.`);
  const raw = text.slice(eq + 1);
  // A whole number past 2^53 would lose digits as a JSON number: it stays text (a `bigint` parameter takes it).
  if (/^-?\d+$/.test(raw.trim()) && !Number.isSafeInteger(Number(raw))) return [key, raw.trim()];
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}

/** `--params '<json>'`: a JSON object of parameters. */
export function parseParams(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`--params is not valid JSON (${(err as Error).message}); give an object such as --params '{"name": "foo"}'.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UserError(`--params must be a JSON object of parameter names to values, such as '{"name": "foo"}'.`);
  }
  return value as Record<string, unknown>;
}
