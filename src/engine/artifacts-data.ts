import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { quoteCut, UserError } from "./errors";
import type { ArtifactType } from "../shared/events";
import type { StoredTable } from "../shared/table";

// What each kind of artifact stores as its `data` (the store keeps it as JSON; the CLI's --json prints it
// as it is; the extension's panels render it), and the checks a create call makes before anything is
// written. No I/O here besides looking at an image file in the workspace.
//
//   table     StoredTable        as the user gave it: records, a record of columns, rows, or {headers, rows}
//   markdown  string
//   link      LinkArtifactData   {url, text}
//   progress  number             0..100
//   image     string             an http(s) or data:image URL, or a path relative to the workspace ("/")

export type { StoredTable } from "../shared/table";

export interface LinkArtifactData {
  url: string;
  /** The link text; the URL itself when none was given. */
  text: string;
}

/**
 * An image on the web (an http or https URL), a base64 data:image URL, or a file in the workspace the flow
 * ran in, as its path relative to that folder with "/" (a string without a scheme). As Prefect 3 stores it.
 */
export type ImageArtifactData = string;

export interface ArtifactDataByType {
  table: StoredTable;
  markdown: string;
  link: LinkArtifactData;
  progress: number;
  image: ImageArtifactData;
}

/** A create or update call was given something it cannot store; the message says what and what to do. */
export class ArtifactError extends UserError {
  override name = "ArtifactError";
}

const KEY = /^[a-z0-9-]+$/;
/** Longer keys are refused: a key is a name shown in trees and lists, and stored with every version. */
export const MAX_KEY_LENGTH = 255;

/** A suggestion for a key that was refused: "My Report (v2)" → "my-report-v2". */
function keyLike(key: string): string {
  const slug = key
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-|-$/g, "");
  return slug || "my-artifact";
}

/** Checks a key (undefined and null mean none); returns it. */
export function checkKey(key: unknown): string | undefined {
  if (key === undefined || key === null) return undefined;
  if (typeof key !== "string") throw new ArtifactError(`Artifact key must be a string, not ${describe(key)}.`);
  if (key.length > MAX_KEY_LENGTH) {
    throw new ArtifactError(`Artifact key ${quoteCut(key, 20)} is ${key.length} characters long; a key holds at most ${MAX_KEY_LENGTH}. Use a shorter key.`);
  }
  if (!KEY.test(key)) {
    throw new ArtifactError(
      `Artifact key ${JSON.stringify(key)} is not valid. Artifact key must only contain lowercase letters, numbers, ` +
        `and dashes (a-z, 0-9, -); use something like ${JSON.stringify(keyLike(key))}.`,
    );
  }
  return key;
}

export function checkDescription(description: unknown): string | undefined {
  if (description === undefined || description === null) return undefined;
  if (typeof description !== "string") {
    throw new ArtifactError(`Artifact description must be a string (markdown), not ${describe(description)}.`);
  }
  return description;
}

export function checkMarkdown(markdown: unknown): string {
  if (typeof markdown !== "string") {
    throw new ArtifactError(`createMarkdownArtifact needs a markdown string, not ${describe(markdown)}.`);
  }
  return markdown;
}

/**
 * Any link is stored, of any scheme, as Prefect stores it (s3://, gs://, abfs://, ftp://, a relative path):
 * it is data. Only a panel decides what opens (http, https, mailto, workspace files); the rest is shown as
 * copyable text.
 */
export function checkLink(link: unknown, linkText: unknown): LinkArtifactData {
  if (typeof link !== "string" || link.trim() === "") {
    throw new ArtifactError(`createLinkArtifact needs a link (a URL or a path), not ${describe(link)}.`);
  }
  const url = link.trim();
  if (linkText !== undefined && linkText !== null && typeof linkText !== "string") {
    throw new ArtifactError(`linkText must be a string, not ${describe(linkText)}.`);
  }
  return { url, text: typeof linkText === "string" && linkText !== "" ? linkText : url };
}

/** Clamps progress to 0..100; `warn` is told when it had to. */
export function checkProgress(progress: unknown, warn: (message: string) => void): number {
  if (typeof progress !== "number" || Number.isNaN(progress)) {
    throw new ArtifactError(`Progress must be a number from 0 to 100, not ${describe(progress)}.`);
  }
  if (progress < 0 || progress > 100) {
    const clamped = progress < 0 ? 0 : 100;
    warn(`Progress ${progress} is outside 0..100; it was stored as ${clamped}.`);
    return clamped;
  }
  return progress;
}

const IMAGE_FILE = /\.(png|jpe?g|gif|webp|svg|bmp|avif|ico)$/i;
// data: images are shown inline; SVG is left out because it can carry script (save it as a file instead).
const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp|bmp|avif|x-icon);base64,[A-Za-z0-9+/=\s]+$/i;

/**
 * An image URL (http, https, or a base64 data:image URL), or a file inside `workspace` (the folder the flow
 * runs in), given relative to it or absolute. A file is stored by its path relative to the workspace.
 */
export function checkImage(source: unknown, workspace: string): ImageArtifactData {
  if (typeof source !== "string" || source.trim() === "") {
    throw new ArtifactError(`createImageArtifact needs an image URL or a path to an image file in the workspace, not ${describe(source)}.`);
  }
  const text = source.trim();
  const scheme = schemeOf(text);
  if (scheme === "http:" || scheme === "https:") return text;
  if (scheme === "data:") {
    if (DATA_IMAGE.test(text)) return text.replace(/\s+/g, "");
    throw new ArtifactError(
      `Image ${JSON.stringify(shorten(text))} is a data: URL that is not a base64 PNG, JPEG, GIF, WebP, BMP, AVIF or ICO image. ` +
        `Save the image as a file in the workspace and pass its path instead.`,
    );
  }
  let file = text;
  if (scheme === "file:") file = fileURLToPath(text);
  else if (scheme !== undefined) {
    throw new ArtifactError(
      `Image ${JSON.stringify(shorten(text))} is a ${scheme} URL, which is refused. Give an http:, https: or data:image URL, ` +
        `or the path of an image file in the workspace (${workspace}).`,
    );
  }
  return workspaceImage(file, workspace);
}

/** The workspace-relative path (with "/") of an image file that must exist inside the workspace. */
function workspaceImage(file: string, workspace: string): string {
  const resolved = path.resolve(workspace, file);
  const outside = (p: string, root: string) => {
    const rel = path.relative(root, p);
    return rel === "" || rel.startsWith("..") || path.isAbsolute(rel);
  };
  if (outside(resolved, workspace)) {
    throw new ArtifactError(
      `Image path ${JSON.stringify(file)} is outside the workspace ${workspace}; images must be files inside it. ` +
        `Copy the image into the workspace, or give an http(s) URL.`,
    );
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    throw new ArtifactError(`Image file ${JSON.stringify(file)} does not exist (looked for ${resolved}). Write the image before creating the artifact.`);
  }
  if (!stat.isFile()) throw new ArtifactError(`Image path ${JSON.stringify(file)} is not a file (${resolved}).`);
  if (!IMAGE_FILE.test(resolved)) {
    throw new ArtifactError(`Image file ${JSON.stringify(file)} is not an image the panels can show (.png, .jpg, .jpeg, .gif, .webp, .svg, .bmp, .avif, .ico).`);
  }
  // A symbolic link inside the workspace must not lead a viewer to a file outside it.
  const real = fs.realpathSync(resolved);
  if (outside(real, fs.realpathSync(workspace))) {
    throw new ArtifactError(`Image path ${JSON.stringify(file)} is a link to ${real}, outside the workspace ${workspace}. Copy the image into the workspace.`);
  }
  return path.relative(workspace, resolved).split(path.sep).join("/");
}

/** "https:" for an absolute URL; undefined for a plain path (a Windows drive letter is not a scheme). */
function schemeOf(text: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(text);
  if (!m || m[1].length === 1) return undefined;
  return `${m[1].toLowerCase()}:`;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A value named for an error message: its type, and a short form of it where that helps. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(shorten(value))}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "function":
      return `a function${value.name ? ` (${value.name})` : ""}`;
    case "symbol":
      return "a symbol";
  }
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

export function isArtifactType(value: unknown): value is ArtifactType {
  return value === "table" || value === "markdown" || value === "link" || value === "progress" || value === "image";
}
