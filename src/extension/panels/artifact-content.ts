import type { Artifact } from "../../store/types";
import { isPlainObject } from "../../shared/objects";
import { normalizeTable, type NormalizedTable } from "../../shared/table";
import type { ArtifactBody, ArtifactHeader, Cell, HostMessage, RunLink, VersionInfo } from "../../shared/panel-protocol";

// What a panel sends for one artifact, built without VS Code (tests feed these messages to the real
// webview). The body is shaped by type here, so the webview never guesses at stored data; a table is
// normalised to rows (src/shared/table.ts) and streamed: the first rows at once so the panel paints
// immediately, the rest in chunks the webview indexes as they arrive. In the extension a table is
// normalised and cut into chunks in the store's worker thread (panel-reads.ts), next to its data.

/** Rows in the first message: a screenful many times over, small enough to post at once. */
export const FIRST_ROWS = 1_000;
export const CHUNK_ROWS = 10_000;
/**
 * A chunk is also cut at about this many bytes of JSON: each chunk is structured-cloned from the worker
 * and serialised again by VS Code's postMessage on the extension host's thread. Measured over a 100,000
 * x 10 table: 3.4-3.9 ms of that thread a 128 KB chunk (2.1-2.6 ms at 64 KB, 4.5-11 ms at 256 KB; the
 * whole table at once blocked it 800 ms).
 */
export const FIRST_BYTES = 64 * 1024;
export const CHUNK_BYTES = 128 * 1024;
/** Raw JSON up to this size goes with the `show`; larger is sent only if the reader asks for Raw. */
const INLINE_RAW_CHARS = 256 * 1024;

type ShowMessage = Extract<HostMessage, { type: "show" }>;

export interface ContentContext {
  versions: VersionInfo[];
  following: boolean;
  flowRun?: RunLink;
  taskRun?: RunLink;
  /**
   * Turns an image artifact's source into something the webview may load (the host knows the workspace).
   * `local`: a workspace file served as the webview's own resource; otherwise an https src is remote.
   */
  resolveImage(source: string): { src?: string; local?: boolean; error?: string };
}

export interface PreparedArtifact {
  show: Omit<ShowMessage, "load">;
  /** The table's rows, to stream after the `show`. */
  table?: NormalizedTable;
  /** The raw text (for tables: made only when asked for). */
  rawText(): string;
}

/** A table already shaped elsewhere (the worker): its body, and its raw JSON when small enough to inline. */
export interface ShapedTable {
  body: ArtifactBody;
  raw?: string;
}

/**
 * `shaped`: the table was shaped where its data is (`a.data` is then left out); without it a table is
 * shaped here from `a.data`.
 */
export function prepareArtifact(a: Artifact, ctx: ContentContext, shaped?: ShapedTable): PreparedArtifact {
  const artifact: ArtifactHeader = {
    id: a.id,
    key: a.key,
    type: a.type,
    description: a.description,
    created: a.created,
    updated: a.updated,
    flowRun: ctx.flowRun,
    taskRun: ctx.taskRun,
    versions: ctx.versions,
    following: ctx.following,
  };
  const rawText = (): string => rawTextOf(a);
  if (a.type === "table") {
    const here = shaped ? undefined : shapeTable(a);
    const { body, raw } = shaped ?? (here as ShapedTable);
    return { show: { type: "show", artifact, body, raw }, table: here?.table, rawText };
  }
  return { show: { type: "show", artifact, body: shapeBody(a, ctx), raw: rawText() }, rawText };
}

/** What the Raw view shows: markdown as written, anything else as indented JSON. */
export function rawTextOf(a: Pick<Artifact, "type" | "data">): string {
  return a.type === "markdown" && typeof a.data === "string" ? a.data : (JSON.stringify(a.data, null, 2) ?? "null");
}

/** A table artifact's body and rows (or why its data is not a table), and its raw JSON when small. */
export function shapeTable(a: Pick<Artifact, "type" | "data">): ShapedTable & { table?: NormalizedTable } {
  let table: NormalizedTable;
  try {
    table = normalizeTable(a.data);
  } catch (err) {
    return { body: { type: "invalid", message: (err as Error).message }, raw: smallRaw(a) };
  }
  // A small table's JSON goes along; measuring a big one would cost what sending it costs.
  const raw = table.rows.length <= 2_000 ? smallRaw(a) : undefined;
  return { body: { type: "table", columns: table.columns, total: table.rows.length }, table, raw };
}

function smallRaw(a: Pick<Artifact, "type" | "data">): string | undefined {
  const text = rawTextOf(a);
  return text.length <= INLINE_RAW_CHARS ? text : undefined;
}

function shapeBody(a: Artifact, ctx: ContentContext): ArtifactBody {
  const d = a.data;
  switch (a.type) {
    case "markdown":
      return typeof d === "string" ? { type: "markdown", markdown: d } : { type: "invalid", message: "This markdown artifact's data is not a string." };
    case "link": {
      const link = linkData(d);
      return link ? { type: "link", ...link } : { type: "invalid", message: "This link artifact's data is not {url, text}." };
    }
    case "progress":
      return typeof d === "number" && Number.isFinite(d)
        ? { type: "progress", value: Math.max(0, Math.min(100, d)) }
        : { type: "invalid", message: "This progress artifact's data is not a number from 0 to 100." };
    case "image": {
      if (typeof d !== "string") return { type: "invalid", message: "This image artifact's data is not a URL or a path." };
      return { type: "image", source: d, ...ctx.resolveImage(d) };
    }
    default:
      return { type: "invalid", message: `Flowline does not know how to show a '${String(a.type)}' artifact.` };
  }
}

/** A link artifact's data as createLinkArtifact stores it: {url, text}. */
export function linkData(d: unknown): { url: string; text?: string } | undefined {
  if (!isPlainObject(d) || typeof d.url !== "string" || d.url === "") return undefined;
  return typeof d.text === "string" && d.text !== "" ? { url: d.url, text: d.text } : { url: d.url };
}

/**
 * The table's rows as `rows` messages: the first FIRST_ROWS (or FIRST_BYTES), then CHUNK_ROWS (or
 * CHUNK_BYTES) at a time; always at least one message.
 */
export function* rowMessages(rows: Cell[][], load: number): Generator<Extract<HostMessage, { type: "rows" }>> {
  let start = 0;
  do {
    const end = chunkEnd(rows, start);
    yield { type: "rows", load, start, rows: rows.slice(start, end), done: end >= rows.length };
    start = end;
  } while (start < rows.length);
}

/** Where the chunk that starts at `start` ends: the first chunk is smaller, so the panel paints at once. */
export function chunkEnd(rows: Cell[][], start: number): number {
  const maxRows = start === 0 ? FIRST_ROWS : CHUNK_ROWS;
  const maxBytes = start === 0 ? FIRST_BYTES : CHUNK_BYTES;
  const last = Math.min(rows.length, start + maxRows);
  let bytes = 0;
  for (let r = start; r < last; r++) {
    bytes += rowBytes(rows[r]);
    // A single row wider than the budget still goes, alone.
    if (bytes > maxBytes && r > start) return r;
  }
  return last;
}

/** About how many bytes of JSON a row makes (strings by length; numbers, booleans and null as 8). */
function rowBytes(row: Cell[]): number {
  let n = 2;
  for (const cell of row) {
    if (typeof cell === "string") n += cell.length + 3;
    else if (cell !== null && typeof cell === "object") n += (JSON.stringify(cell)?.length ?? 4) + 1;
    else n += 8;
  }
  return n;
}
