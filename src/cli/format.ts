import type { Artifact, FlowRun, TaskRun } from "../store";

// How the CLI shows runs and artifacts: the --json shapes (a run is `{flowRun, taskRuns, subflowRuns, result}`,
// an artifact `{id, key, type, description, data, flowRunId, taskRunId, created}`) and plain-text tables.
//
// Everything a listing prints comes from the database, and a journal can hold any text: a run name with
// ESC sequences would clear the screen, set the window title or write the clipboard (OSC 52) when shown.
// So data goes to the terminal only through quote() (one field) or escapeBlock() (free text), which show
// control characters (C0, DEL and C1) as C escapes, as git shows paths; --json escapes them as \u.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { "\u0007": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r" };

/** `\n`, `\033` (as git and C write them), or `\u009b` for a C1 control. */
function cEscape(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x80 ? `\\${code.toString(8).padStart(3, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * One field (a name, key, id, message) for a terminal: unchanged when it holds no control character,
 * else in double quotes with C escapes (backslashes and quotes escaped too), so the quoted form is exact.
 */
export function quote(text: string): string {
  if (!CONTROL.test(text)) return text;
  return `"${text.replace(/[\\"]/g, "\\$&").replace(CONTROLS, cEscape)}"`;
}

/** Free text (markdown, a description, a log message): its lines and tabs kept, other controls escaped. */
export function escapeBlock(text: string): string {
  return text.replace(CONTROLS_BUT_LINES, cEscape);
}

export function flowRunJson(run: FlowRun): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    flowName: run.flowName,
    state: run.state.type,
    stateName: run.state.name,
    stateMessage: run.state.message,
    parameters: run.parameters,
    tags: run.tags,
    parentFlowRunId: run.parentFlowRunId,
    runCount: run.runCount,
    created: run.created,
    startTime: run.startTime,
    endTime: run.endTime,
    durationSeconds: durationSeconds(run.startTime, run.endTime),
    resultKey: run.resultKey,
    file: run.file,
    taskRunCounts: run.taskRunCounts,
  };
}

/** "1,000,000: 999,998 Completed, 2 Failed" (how many task runs, and how many in each state). */
export function taskRunSummary(counts: FlowRun["taskRunCounts"]): string {
  const n = (v: number) => v.toLocaleString("en");
  const parts = Object.entries(counts.byState).map(([state, count]) => `${n(count ?? 0)} ${state}`);
  return `${n(counts.total)}${parts.length ? `: ${parts.join(", ")}` : ""}`;
}

export function taskRunJson(run: TaskRun): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    taskName: run.taskName,
    state: run.state.type,
    stateName: run.state.name,
    stateMessage: run.state.message,
    parameters: run.parameters,
    tags: run.tags,
    flowRunId: run.flowRunId,
    runCount: run.runCount,
    cacheKey: run.cacheKey,
    created: run.created,
    startTime: run.startTime,
    endTime: run.endTime,
    durationSeconds: durationSeconds(run.startTime, run.endTime),
    resultKey: run.resultKey,
  };
}

export function artifactJson(a: Artifact): Record<string, unknown> {
  return {
    id: a.id,
    key: a.key ?? null,
    type: a.type,
    description: a.description ?? null,
    data: a.data,
    flowRunId: a.flowRunId ?? null,
    taskRunId: a.taskRunId ?? null,
    created: a.created,
  };
}

function durationSeconds(start?: string, end?: string): number | undefined {
  if (!start) return undefined;
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  return Math.round(ms) / 1000;
}

export function formatDuration(start?: string, end?: string): string {
  const s = durationSeconds(start, end);
  if (s === undefined) return "-";
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

export function formatTime(iso?: string): string {
  if (!iso) return "-";
  return iso.replace("T", " ").slice(0, 19);
}

/** A plain text table with a header row; columns padded to their widest cell; every cell quote()d. */
export function table(header: string[], rows: string[][]): string {
  header = header.map(quote);
  rows = rows.map((r) => r.map(quote));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * JSON escapes C0 controls in strings but passes DEL and C1 (U+0080..U+009F) through, and some terminals
 * act on a C1 CSI; as \u escapes they are the same JSON value.
 */
export function printJson(value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  process.stdout.write(`${text}\n`);
}
