import type { Artifact } from "../../store/types";
import { isPlainObject } from "../../shared/objects";
import { normalizeTable, type NormalizedTable } from "../../shared/table";
import type { ArtifactBody, ArtifactHeader, Cell, HostMessage, RunLink, VersionInfo } from "../../shared/panel-protocol";

// What a panel sends for one artifact, built without VS Code (tests feed these messages to the real
// webview). The body is shaped by type here, so the webview never guesses at stored data; a table is
// normalised to rows (src/shared/table.ts) and streamed: the first rows at once so the panel paints
// immediately, the rest in large chunks the webview indexes as they arrive.

/** Rows in the first message: a screenful many times over, small enough to post at once. */
export const FIRST_ROWS = 1_000;
export const CHUNK_ROWS = 10_000;
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

export function prepareArtifact(a: Artifact, ctx: ContentContext): PreparedArtifact {
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
  const rawText = (): string =>
    a.type === "markdown" && typeof a.data === "string" ? a.data : (JSON.stringify(a.data, null, 2) ?? "null");
  const { body, table } = shapeBody(a, ctx);
  let raw: string | undefined;
  if (a.type !== "table") raw = rawText();
  else {
    // A small table's JSON goes along; measuring a big one would cost what sending it costs.
    const rows = table?.rows.length ?? 0;
    if (rows <= 2_000) {
      const text = rawText();
      if (text.length <= INLINE_RAW_CHARS) raw = text;
    }
  }
  return { show: { type: "show", artifact, body, raw }, table, rawText };
}

function shapeBody(a: Artifact, ctx: ContentContext): { body: ArtifactBody; table?: NormalizedTable } {
  const d = a.data;
  switch (a.type) {
    case "table": {
      try {
        const table = normalizeTable(d);
        return { body: { type: "table", columns: table.columns, total: table.rows.length }, table };
      } catch (err) {
        return { body: { type: "invalid", message: (err as Error).message } };
      }
    }
    case "markdown":
      return typeof d === "string"
        ? { body: { type: "markdown", markdown: d } }
        : { body: { type: "invalid", message: "This markdown artifact's data is not a string." } };
    case "link": {
      const link = linkData(d);
      return link
        ? { body: { type: "link", ...link } }
        : { body: { type: "invalid", message: "This link artifact's data is not {url, text}." } };
    }
    case "progress":
      return typeof d === "number" && Number.isFinite(d)
        ? { body: { type: "progress", value: Math.max(0, Math.min(100, d)) } }
        : { body: { type: "invalid", message: "This progress artifact's data is not a number from 0 to 100." } };
    case "image": {
      if (typeof d !== "string") return { body: { type: "invalid", message: "This image artifact's data is not a URL or a path." } };
      return { body: { type: "image", source: d, ...ctx.resolveImage(d) } };
    }
    default:
      return { body: { type: "invalid", message: `Flowline does not know how to show a '${String(a.type)}' artifact.` } };
  }
}

/** A link artifact's data as createLinkArtifact stores it: {url, text}. */
export function linkData(d: unknown): { url: string; text?: string } | undefined {
  if (!isPlainObject(d) || typeof d.url !== "string" || d.url === "") return undefined;
  return typeof d.text === "string" && d.text !== "" ? { url: d.url, text: d.text } : { url: d.url };
}

/** The table's rows as `rows` messages: FIRST_ROWS, then CHUNK_ROWS at a time; always at least one message. */
export function* rowMessages(rows: Cell[][], load: number): Generator<Extract<HostMessage, { type: "rows" }>> {
  let start = 0;
  let size = FIRST_ROWS;
  do {
    const end = Math.min(rows.length, start + size);
    yield { type: "rows", load, start, rows: rows.slice(start, end), done: end >= rows.length };
    start = end;
    size = CHUNK_ROWS;
  } while (start < rows.length);
}
