import type { ArtifactType } from "./events";

// The messages between the artifact panel's host (src/extension/panels) and its webview (webview/).
// Both bundles import this file, so it holds types only. The host owns the data: the webview never reads
// the database, it shows what it is sent and asks for more. Each `show` carries a `load` number; messages
// that belong to an older load (rows still streaming for the previous version) are ignored by the webview.

export type { ArtifactType };

export const ARTIFACT_VIEW_TYPE = "flowline.artifact";

export interface RunLink {
  id: string;
  /** The run's name, when the store still has the run. */
  name?: string;
}

export interface VersionInfo {
  id: string;
  created: string;
}

export interface ArtifactHeader {
  id: string;
  key?: string;
  type: ArtifactType;
  /** Markdown. */
  description?: string;
  created: string;
  updated: string;
  flowRun?: RunLink;
  taskRun?: RunLink;
  /** All versions of the key, newest first; empty for an unkeyed artifact. */
  versions: VersionInfo[];
  /** The panel moves to each new version of the key as it arrives. */
  following: boolean;
}

/** A table cell after normalisation: a JSON value (nested objects and lists stay as they are). */
export type Cell = unknown;

/** The body, already shaped by type; a table's rows follow in `rows` messages. */
export type ArtifactBody =
  | { type: "markdown"; markdown: string }
  | { type: "link"; url: string; text?: string }
  | { type: "progress"; value: number }
  /** `local`: src is the webview's own resource (a workspace file); any other https src is remote. */
  | { type: "image"; source: string; src?: string; local?: boolean; error?: string }
  | { type: "table"; columns: string[]; total: number }
  /** The stored data does not fit its type: the panel says why and still shows it raw. */
  | { type: "invalid"; message: string };

export type HostMessage =
  /**
   * `remoteImages`: the origins this panel may load images from (the reader clicked "Load remote
   * images"); the CSP allows the same and no others. Every other remote image is a placeholder.
   */
  | { type: "show"; load: number; artifact: ArtifactHeader; body: ArtifactBody; raw?: string; remoteImages?: string[] }
  | { type: "rows"; load: number; start: number; rows: Cell[][]; done: boolean }
  /** A progress artifact moved (sent without re-sending anything else). */
  | { type: "progress"; load: number; value: number; updated: string }
  /** The key's versions changed while the panel shows one of them. */
  | { type: "versions"; load: number; versions: VersionInfo[]; following: boolean }
  /** The raw text of a table, on request (it can be large, so it is not sent up front). */
  | { type: "raw"; load: number; text: string }
  /** The artifact shown was deleted and there is nothing to move to. */
  | { type: "gone"; message: string };

export type WebviewMessage =
  /** The webview is listening: the host (re)sends what the panel shows. */
  | { type: "ready" }
  | { type: "selectVersion"; id: string }
  /** A link was clicked: the host validates it and opens it through VS Code. */
  | { type: "openLink"; href: string }
  | { type: "revealRun"; flowRunId: string; taskRunId?: string }
  | { type: "requestRaw"; load: number }
  | { type: "copy"; text: string; what: string }
  | { type: "exportCsv"; csv: string; fileName: string }
  /** Allow images from these origins in this panel: the host checks them and reloads with a wider CSP. */
  | { type: "loadRemoteImages"; origins: string[] };

export type SortDir = "asc" | "desc";

/** What the webview keeps with setState, and what VS Code hands the serializer after a reload. */
export interface PanelState {
  artifactId?: string;
  key?: string;
  following?: boolean;
  mode?: "rendered" | "raw";
  search?: string;
  sort?: { column: number; dir: SortDir };
  /** The first row (table) or line (raw) in view. */
  scrollRow?: number;
}
