import * as path from "node:path";
import { PayloadAppender, type PayloadRef } from "./payload";
import { parseSegmentFileName, segmentDatName } from "./layout";
import { num } from "./sql";
import type { Segment } from "./segment";
import type { WriteTx } from "./write-tx";

// Giving space back: a payload file is append-only, so rewritten chunks and deleted rows leave bytes no
// row references. When less than half of a segment's payload file is still referenced, the live records are
// copied into a new revision of the file and the references moved; the old file goes once the index that
// names the new one is written.

const MIN_COMPACT_BYTES = 1024 * 1024;

type RefTable = "task_chunks" | "log_chunks" | "artifacts";
const KEYS: Record<RefTable, string> = { task_chunks: "flow_run_id, chunk", log_chunks: "flow_run_id, chunk", artifacts: "seq" };

function liveBytes(seg: Segment): number {
  let n = 0;
  for (const t of Object.keys(KEYS)) n += num(seg.p.value(`SELECT coalesce(sum(len), 0) FROM ${t} WHERE off IS NOT NULL`));
  return n;
}

/** Compacts the segment's payload file when most of it is garbage. Returns true when it did. */
export function compactPayload(tx: WriteTx, seg: Segment, force = false): boolean {
  const size = seg.datSize();
  const live = liveBytes(seg);
  if (!force && (size < MIN_COMPACT_BYTES || live * 2 > size)) return false;
  const info = tx.info(seg.id);
  const revision = (parseSegmentFileName(info.datFile)?.n ?? 0) + 1;
  const name = segmentDatName(seg.id, revision);
  const target = new PayloadAppender(path.join(path.dirname(seg.datFile), name));
  try {
    for (const [table, key] of Object.entries(KEYS) as [RefTable, string][]) {
      const rows = seg.p.all(`SELECT ${key}, off, len, crc FROM ${table} WHERE off IS NOT NULL`, [], (r) => r);
      for (const r of rows) {
        const keyValues = r.slice(0, key.split(",").length);
        const ref: PayloadRef = { off: Number(r[keyValues.length]), len: Number(r[keyValues.length + 1]), crc: Number(r[keyValues.length + 2]) };
        const moved = target.append(seg.read(ref));
        const where = key.split(",").map((k) => `${k.trim()} = ?`).join(" AND ");
        seg.p.run(`UPDATE ${table} SET off = ?, len = ?, crc = ? WHERE ${where}`, [moved.off, moved.len, moved.crc, ...keyValues]);
      }
    }
    target.sync();
  } finally {
    target.close();
  }
  seg.usePayload(path.join(path.dirname(seg.datFile), name));
  seg.dirty = true;
  info.datFile = name;
  tx.index.putSegment(info);
  return true;
}
