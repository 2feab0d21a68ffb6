import * as path from "node:path";
import { dbPath } from "../shared/home";
import { writeTarget } from "./atomic-file";

// Where the store keeps its files inside a Flowline home (see docs/STORE.md):
//   flowline.db              the index (small; always loaded)
//   data/s000042.g7.db       segment 42's database, generation 7 (each write makes a new generation)
//   data/s000042.r0.dat      segment 42's payload file (append-only; a compaction makes r1, r2, ...)

/** The layout this code writes; the index records it in its meta table. */
export const LAYOUT_VERSION = 2;

/** A segment takes new flow runs until its database passes this size (FLOWLINE_SEGMENT_BYTES overrides). */
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * The segments' folder: `data/` beside the index file itself. A flowline.db that is a symbolic link (written
 * through) keeps its data beside its target, so homes that link to one file share one store, as they share
 * its lock.
 */
export function dataDir(home: string): string {
  return path.join(path.dirname(writeTarget(dbPath(home))), "data");
}

const pad = (id: number): string => String(id).padStart(6, "0");

export function segmentDbName(id: number, generation: number): string {
  return `s${pad(id)}.g${generation}.db`;
}

export function segmentDatName(id: number, revision: number): string {
  return `s${pad(id)}.r${revision}.dat`;
}

export interface SegmentFileName {
  segment: number;
  kind: "db" | "dat";
  /** The generation (db) or revision (dat). */
  n: number;
}

export function parseSegmentFileName(name: string): SegmentFileName | undefined {
  const m = /^s(\d{6,})\.(g|r)(\d+)\.(db|dat)$/.exec(name);
  if (!m || (m[2] === "g") !== (m[4] === "db")) return undefined;
  return { segment: Number(m[1]), kind: m[4] as "db" | "dat", n: Number(m[3]) };
}

/** The segment size limit from the environment (whole bytes, at least 64 KiB), else the default. */
export function segmentLimit(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.FLOWLINE_SEGMENT_BYTES);
  return Number.isFinite(n) && n >= 65_536 ? Math.floor(n) : DEFAULT_SEGMENT_BYTES;
}
