import { randomUUID } from "node:crypto";
import {
  ArtifactError,
  checkDescription,
  checkImage,
  checkKey,
  checkLink,
  checkMarkdown,
  checkProgress,
  describe,
} from "./artifacts-data";
import { checkTable, type TableInput } from "./artifacts-table";
import { engineConfig } from "./config";
import { currentContext } from "./context";
import type { ArtifactEvent, ArtifactType, ArtifactUpdateEvent } from "../shared/events";
import { emitLog } from "./logging";

// Creating artifacts from a flow (Prefect's create_*_artifact). An artifact is an event in this process's
// journal, written with writeSync before the call returns: once a create call has returned, the artifact
// survives a kill of the process on the very next line, and the store folds it in. Inside a task it is
// linked to the task run and its flow run, inside a flow to the flow run, outside any run to nothing.
// What each kind stores as `data` is described in artifacts-data.ts.

export { ArtifactError } from "./artifacts-data";
export type { TableColumns, TableInput } from "./artifacts-table";

export interface ArtifactOptions {
  /** Lowercase letters, digits and dashes. Each create with a key adds a new version of it. */
  key?: string;
  /** Markdown. */
  description?: string;
}

export interface TableArtifactOptions extends ArtifactOptions {
  /** Column names for a table given as a list of rows. */
  headers?: readonly string[];
}

export interface LinkArtifactOptions extends ArtifactOptions {
  /** The text shown for the link (default: the URL). */
  linkText?: string;
}

/** A table: a list of records, a record of columns, or a list of rows (named by `headers`). Returns its id. */
export async function createTableArtifact<T extends object>(table: TableInput<T>, options: TableArtifactOptions = {}): Promise<string> {
  const common = checkOptions(options, "createTableArtifact");
  let data;
  try {
    data = checkTable(table, options.headers);
  } catch (err) {
    // A value nested thousands of levels deep overflows the stack on its way to JSON: say so in words.
    if (err instanceof RangeError) throw new ArtifactError("createTableArtifact: a cell is nested too deeply to store as JSON (thousands of levels); flatten it first.");
    throw err;
  }
  return store("table", data, common);
}

/** A markdown report (rendered with HTML off). Returns its id. `await createMarkdownArtifact("# Done", { key: "report" })` */
export async function createMarkdownArtifact(markdown: string, options: ArtifactOptions = {}): Promise<string> {
  const common = checkOptions(options, "createMarkdownArtifact");
  return store("markdown", checkMarkdown(markdown), common);
}

/**
 * A link of any scheme (https, s3://, gs://, a relative path...); panels open http(s), mailto and workspace
 * files, and show others as text to copy. `await createLinkArtifact("s3://bucket/out.csv", { key: "export" })`
 */
export async function createLinkArtifact(link: string, options: LinkArtifactOptions = {}): Promise<string> {
  const common = checkOptions(options, "createLinkArtifact");
  return store("link", checkLink(link, options.linkText), common);
}

/** Progress from 0 to 100 (a value outside is clamped, with a warning); update it with updateProgressArtifact. */
export async function createProgressArtifact(progress: number, options: ArtifactOptions = {}): Promise<string> {
  const common = checkOptions(options, "createProgressArtifact");
  return store("progress", checkProgress(progress, warn), common);
}

/** An image: an http(s) or data:image URL, or the path of an image file in the workspace (the folder the flow runs in). */
export async function createImageArtifact(urlOrWorkspacePath: string, options: ArtifactOptions = {}): Promise<string> {
  const common = checkOptions(options, "createImageArtifact");
  return store("image", checkImage(urlOrWorkspacePath, process.cwd()), common);
}

/**
 * Sets the progress of a progress artifact, in place (same id, no new version). Returns the id. An id this
 * process created for another kind of artifact is refused; the store ignores updates of non-progress ids.
 */
export async function updateProgressArtifact(id: string, progress: number, options: { description?: string } = {}): Promise<string> {
  if (typeof id !== "string" || !UUID.test(id)) {
    throw new ArtifactError(`updateProgressArtifact needs the id that createProgressArtifact returned, not ${describe(id)}.`);
  }
  const known = created.get(id);
  if (known !== undefined && known !== "progress") {
    throw new ArtifactError(`Artifact ${id} is a ${known} artifact; only progress artifacts can be updated. Create a new version with its key instead.`);
  }
  const description = checkDescription(options?.description);
  const event: ArtifactUpdateEvent = { e: "artifact_update", id, data: checkProgress(progress, warn), ts: new Date().toISOString() };
  if (description !== undefined) event.description = description;
  write(event);
  return acknowledged(id);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The kind of each artifact this process created, so an update of a non-progress id can be refused. Bounded:
 * a flow creating millions of artifacts must not keep them all; a forgotten id is only checked by the store.
 */
const created = new Map<string, ArtifactType>();
const REMEMBERED = 100_000;

function remember(id: string, type: ArtifactType): void {
  if (created.size >= REMEMBERED) {
    const oldest = created.keys().next();
    if (!oldest.done) created.delete(oldest.value);
  }
  created.set(id, type);
}

interface Common {
  key?: string;
  description?: string;
}

function checkOptions(options: unknown, fn: string): Common {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new ArtifactError(`${fn}'s second argument is its options, such as { key: "my-report", description: "..." }, not ${describe(options)}.`);
  }
  const o = options as Record<string, unknown>;
  return { key: checkKey(o.key), description: checkDescription(o.description) };
}

function warn(message: string): void {
  emitLog(currentContext(), "WARNING", message);
}

function store(type: ArtifactType, data: unknown, common: Common): string | Promise<string> {
  const ctx = currentContext();
  const id = randomUUID();
  const event: ArtifactEvent = { e: "artifact", id, type, data, created: new Date().toISOString() };
  if (common.key !== undefined) event.key = common.key;
  if (common.description !== undefined) event.description = common.description;
  if (ctx) {
    event.flowRunId = ctx.flowRun.id;
    if (ctx.taskRun) event.taskRunId = ctx.taskRun.id;
  }
  write(event);
  remember(id, type);
  return acknowledged(id);
}

/** The id once the artifact is stored: at once for a journal, after the COMMIT for team mode's sink. */
function acknowledged(id: string): string | Promise<string> {
  const sink = engineConfig().sink;
  return sink.committed ? sink.committed().then(() => id) : id;
}

/** Acknowledged = written: the journal line is in the kernel's page cache when this returns. */
function write(event: ArtifactEvent | ArtifactUpdateEvent): void {
  const sink = engineConfig().sink;
  sink.emit(event);
  sink.flushSync();
}
