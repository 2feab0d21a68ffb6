import { compactPayload } from "./compact";
import type { IndexDb } from "./index-db";
import type { WriteTx } from "./write-tx";

// Deleting artifacts, keeping the index's key summaries true: after rows of a key go, the key's latest is
// the highest seq left in the segments that still hold it, and its version count the sum of theirs.

/** Recomputes a key's summary and its per-segment counts from the segments that hold it. */
export function refreshKey(tx: WriteTx, key: string, touched: Iterable<number>): void {
  const index: IndexDb = tx.index;
  for (const id of touched) {
    if (!index.segment(id)) continue;
    const stats = tx.segment(id).keyStats(key);
    index.putKeySegment({ key, segment: id, versions: stats?.versions ?? 0, maxSeq: stats?.latest.seq ?? 0 });
  }
  const holders = index.keySegments(key);
  if (holders.length === 0) {
    index.deleteKeySummary(key);
    return;
  }
  const newest = holders[0];
  const stats = tx.segment(newest.segment).keyStats(key);
  if (!stats) return;
  const l = stats.latest;
  index.putKeySummary({
    key,
    seq: l.seq,
    id: l.id,
    type: l.type,
    description: l.description,
    flowRunId: l.flowRunId,
    taskRunId: l.taskRunId,
    created: l.created,
    updated: l.updated,
    segment: newest.segment,
    versions: holders.reduce((n, h) => n + h.versions, 0),
  });
}

/** Deletes one artifact version by id. Returns false when no segment holds it. */
export function deleteArtifactById(tx: WriteTx, id: string): boolean {
  for (const info of tx.index.segments().filter((s) => s.artifacts > 0).sort((a, b) => b.maxSeq - a.maxSeq)) {
    const seg = tx.segment(info.id);
    const row = seg.artifact(id, false);
    if (!row) continue;
    seg.deleteArtifacts("id = ?", [id]);
    if (row.key !== undefined) refreshKey(tx, row.key, [info.id]);
    compactPayload(tx, seg); // a big table's bytes come back once most of the file is garbage
    return true;
  }
  return false;
}

/** Deletes every version of a key. Returns how many were deleted. */
export function deleteArtifactKey(tx: WriteTx, key: string): number {
  let n = 0;
  const holders = tx.index.keySegments(key).map((k) => k.segment);
  for (const id of holders) n += tx.segment(id).deleteArtifacts("key = ?", [key]);
  refreshKey(tx, key, holders);
  for (const id of holders) if (tx.index.segment(id)) compactPayload(tx, tx.segment(id));
  return n;
}
