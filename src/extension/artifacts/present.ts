import type { ArtifactType } from "../../shared/events";
import type { Artifact } from "../../store";

// How an artifact is named and drawn wherever the extension lists it (this view, the Flow Runs tree,
// quick picks). Plain data, no vscode: a codicon id is a string.

export const COMMANDS = {
  show: "flowline.showArtifacts",
  search: "flowline.searchArtifacts",
  open: "flowline.openArtifact",
  delete: "flowline.deleteArtifact",
  deleteKey: "flowline.deleteArtifactKey",
  clear: "flowline.clearArtifacts",
  showMore: "flowline.artifacts.showMoreVersions",
  /** An item's click (no arguments: tree-click.ts says why). */
  click: "flowline.artifacts.openItem",
} as const;

export const ARTIFACTS_VIEW = "flowline.artifacts";

const ICONS: Record<ArtifactType, string> = {
  table: "table",
  markdown: "markdown",
  link: "link",
  // A gauge, not a spinner: a progress artifact at 100% is done, and a spinning icon would say otherwise.
  progress: "dashboard",
  image: "file-media",
};

/** The codicon for a type (`new ThemeIcon(artifactIcon(type))`). */
export function artifactIcon(type: ArtifactType): string {
  return ICONS[type] ?? "file";
}

/** A short name for an artifact: its key, else its description's first line, else its type and id. */
export function artifactLabel(a: Pick<Artifact, "key" | "type" | "id" | "description">): string {
  if (a.key) return a.key;
  const line = a.description
    ?.split("\n")
    .map((l) => l.replace(/[#>*_`[\]]/g, "").trim())
    .find((l) => l !== "");
  if (line) return line.length > 60 ? `${line.slice(0, 59)}…` : line;
  return `${a.type} ${a.id.slice(0, 8)}`;
}

/** Local date and time to the second: "2025-01-31 14:05:09". */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
