import * as path from "node:path";

// Where a failed run's error comes from in the user's own code. The child runs with source maps, so stack
// frames name the user's .ts file and line; we pick the first frame in the flow file, else the first in
// any file of the user's that is not Flowline's or a dependency's.

export interface ErrorLocation {
  file: string;
  /** 1-based, as in the stack. */
  line: number;
  column: number;
}

// `at fn (/abs/file.ts:4:24)`, `at /abs/file.ts:4:24`, `at async fn (file:///abs/file.ts:4:24)`
const FRAME = /^\s*at\s+(?:.*?\()?((?:file:\/\/)?(?:[A-Za-z]:)?[^():]+):(\d+):(\d+)\)?\s*$/;

export function parseStackFrames(stack: string): ErrorLocation[] {
  const frames: ErrorLocation[] = [];
  for (const line of stack.split("\n")) {
    const m = FRAME.exec(line);
    if (!m) continue;
    let file = m[1];
    if (file.startsWith("file://")) file = decodeURIComponent(file.slice("file://".length));
    if (!path.isAbsolute(file)) continue; // node:internal/..., <anonymous>
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}

/**
 * The frame to show for a failed run of `flowFile`: in the flow file if any, else the first frame outside
 * node_modules and Flowline's own files (`flowlineDirs`: the extension's dist/ and source folders).
 */
export function userErrorLocation(stack: string | undefined, flowFile: string, flowlineDirs: string[]): ErrorLocation | undefined {
  if (!stack) return undefined;
  const frames = parseStackFrames(stack);
  const target = path.resolve(flowFile);
  const own = frames.find((f) => path.resolve(f.file) === target);
  if (own) return own;
  const inside = (file: string, dir: string) => {
    const rel = path.relative(dir, file);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  };
  return frames.find((f) => !f.file.split(/[\\/]/).includes("node_modules") && !flowlineDirs.some((d) => inside(f.file, d)));
}

/** The first line of an error's stack or message, for a notification. */
export function errorHeadline(error: { name: string; message: string } | undefined, fallback: string): string {
  if (!error) return fallback;
  const first = error.message.split("\n")[0];
  return error.name && error.name !== "Error" ? `${error.name}: ${first}` : first;
}

/**
 * Where a flow file that does not compile has its error: esbuild's `file.ts:3:13: Unexpected ";"` in the
 * run's message, when it names the flow file (a path relative to the run's folder, or absolute).
 */
export function syntaxErrorLocation(message: string | undefined, flowFile: string): ErrorLocation | undefined {
  const m = /^(?:[^\n]*?\s)?([^\s:][^:\n]*\.[cm]?[jt]sx?):(\d+):(\d+): /m.exec(message ?? "");
  if (!m) return undefined;
  const named = path.normalize(m[1]);
  const target = path.resolve(flowFile);
  if (!(path.isAbsolute(named) ? path.resolve(named) === target : target.endsWith(`${path.sep}${named}`) || target === path.resolve(named))) return undefined;
  return { file: flowFile, line: Number(m[2]), column: Number(m[3]) };
}
