import * as path from "node:path";

// A failed run's stack as its log shows it: the user's frames first (the lines of their own files, where
// the error came from), then one line for the frames inside Flowline and Node.js. The stored error keeps
// the whole stack.

/** Folders of Flowline's own code: the built engine (dist/), and its sources when run from a checkout. */
const OWN_DIRS = ((): string[] => {
  const here = path.dirname(__filename);
  return path.basename(here) === "engine" ? [path.resolve(here, "..")] : [here, path.resolve(here, "..", "src")];
})();

const FRAME_FILE = /\(?((?:file:\/\/)?(?:[A-Za-z]:)?[\\/][^():]*):\d+:\d+\)?\s*$/;

function isUserFrame(line: string): boolean {
  const m = FRAME_FILE.exec(line);
  if (!m) return false; // node:internal/..., <anonymous>, native
  const file = m[1].startsWith("file://") ? decodeURIComponent(m[1].slice(7)) : m[1];
  return !OWN_DIRS.some((dir) => {
    const rel = path.relative(dir, file);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
  });
}

/** The stack with the user's frames first, and Flowline's and Node's summed up in one line after them. */
export function userFirstStack(stack: string): string {
  const lines = stack.split("\n");
  const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
  if (firstFrame < 0) return stack;
  const head = lines.slice(0, firstFrame);
  const frames = lines.slice(firstFrame).filter((l) => /^\s+at /.test(l));
  const user = frames.filter(isUserFrame);
  if (user.length === 0) return stack; // an error from inside Flowline: its own frames are the story
  const other = frames.length - user.length;
  return [...head, ...user, ...(other > 0 ? [`    … ${other} frame${other === 1 ? "" : "s"} in Flowline and Node.js`] : [])].join("\n");
}
