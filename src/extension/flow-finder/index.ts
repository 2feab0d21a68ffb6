import { parseProgram } from "./parse";
import { flowCalls } from "./visitor";

// Finds the flows a file defines, statically, to place the CodeLens and fill the Run Flow… pick: calls of
// `flow` imported from "flowline" (also aliased, through a namespace, or required), read by a real parser,
// so never inside comments, strings, templates, regular expressions or JSX. Only where each flow is and
// what it is called: its parameters come from its flow process (src/runner/describe.ts). No vscode here.

export interface FoundFlow {
  /** Where the lens goes: the start of the statement that defines the flow (0-based line and column). */
  line: number;
  character: number;
  /** The export that holds it (`default` for a default export), when it is exported. */
  exportName?: string;
  /** The flow's own name: the `name` option, else its function's name. */
  flowName?: string;
  /** What the user sees: the flow's name (as runs, the tree and the CLI name it), else the export name. */
  label: string;
  /** The export name, when it differs from the label (shown as a detail: `hello_world.ts › myFlow`). */
  detail?: string;
  /** What to pass to the runner as `flow` (export name or flow name). */
  target: string;
}

const MODULE = "flowline";
const SOURCE_EXTENSIONS = /\.(?:[cm]?[jt]sx?)$/i;

/** Whether a file name is one the finder reads; JSX is recognised in .jsx, .tsx and plain JavaScript. */
export function isFlowSourceFile(fileName: string): boolean {
  return SOURCE_EXTENSIONS.test(fileName) && !/\.d\.[cm]?ts$/i.test(fileName);
}

/** A cheap test before parsing: a file that never mentions the module defines no flow. */
export function mayDefineFlows(text: string): boolean {
  return text.includes(MODULE);
}

/** The flows of a file, in order; none when it does not parse (see readFlows). */
export function findFlows(text: string, fileName = "file.ts"): FoundFlow[] {
  return readFlows(text, fileName) ?? [];
}

/** The flows of a file, or undefined when it cannot be parsed even in part (a caller may keep what it had). */
export function readFlows(text: string, fileName = "file.ts"): FoundFlow[] | undefined {
  if (!mayDefineFlows(text)) return [];
  const program = parseProgram(text, fileName);
  if (program === undefined) return undefined;
  let calls;
  try {
    calls = flowCalls(program);
  } catch {
    return undefined; // nesting deeper than the stack: not a file anyone edits by hand
  }
  const lines = lineStarts(text);
  return calls.map(({ statement, exportName, flowName }) => {
    const label = flowName ?? (exportName && exportName !== "default" ? exportName : "flow");
    return {
      ...position(lines, statement),
      exportName,
      flowName,
      label,
      detail: exportName && exportName !== label ? exportName : undefined,
      target: exportName ?? flowName ?? "flow",
    };
  });
}

/** Offsets where lines start, lines broken as the editor breaks them (\r\n, \n, \r). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

function position(starts: number[], offset: number): { line: number; character: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo] };
}
