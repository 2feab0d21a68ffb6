import * as fs from "node:fs";
import * as path from "node:path";
import type { SqlJsStatic } from "sql.js";
import { dbPath } from "../shared/home";
import { writeFileAtomic } from "./atomic-file";
import { keepAside } from "./db-file";
import { IndexDb, type SegmentInfo } from "./index-db";
import { dataDir, parseSegmentFileName } from "./layout";
import { Segment } from "./segment";
import { num, str } from "./sql";
import { refreshSegmentInfo } from "./write-tx";

// Rebuilding a damaged index from the segments: every fact the index holds is also in the segment files
// (which runs and artifacts each holds, and how far each journal homed there was folded), so nothing is
// lost. Each segment's newest generation that opens and passes quick_check is used.

/** Rebuilds the index of `home` from its segment files; returns where the damaged index was moved. */
export function rebuildIndex(SQL: SqlJsStatic, home: string): string {
  const dir = dataDir(home);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const newest = new Map<number, { db: string[]; dat: string[] }>();
  for (const name of names) {
    const f = parseSegmentFileName(name);
    if (!f) continue;
    const entry = newest.get(f.segment) ?? { db: [], dat: [] };
    (f.kind === "db" ? entry.db : entry.dat).push(name);
    newest.set(f.segment, entry);
  }
  const index = IndexDb.create(SQL);
  let maxSeq = 0;
  let maxId = 0;
  try {
    for (const [id, files] of [...newest].sort((a, b) => a[0] - b[0])) {
      const byGen = files.db.sort((a, b) => (parseSegmentFileName(b)?.n ?? 0) - (parseSegmentFileName(a)?.n ?? 0));
      for (const dbFile of byGen) {
        let seg: Segment;
        try {
          const bytes = fs.readFileSync(path.join(dir, dbFile));
          seg = Segment.load(SQL, id, bytes, path.join(dir, dbFile), "");
          const check = seg.db.exec("PRAGMA quick_check")[0]?.values[0]?.[0];
          if (check !== "ok") throw new Error(String(check));
        } catch {
          continue; // an older generation may still be whole
        }
        try {
          const dat = str(seg.p.value("SELECT value FROM seg_meta WHERE key = 'dat'")) || files.dat[0] || `s${String(id).padStart(6, "0")}.r0.dat`;
          const month = (str(seg.p.value("SELECT min(created) FROM flow_runs")) || new Date().toISOString()).slice(0, 7);
          const info: SegmentInfo = { id, dbFile, datFile: dat, dbBytes: fs.statSync(path.join(dir, dbFile)).size, datBytes: 0, flowRuns: 0, liveRuns: 0, artifacts: 0, maxSeq: 0, month };
          refreshSegmentInfo(info, seg);
          index.putSegment(info);
          for (const runId of seg.p.all("SELECT id FROM flow_runs", [], (r) => str(r[0]))) index.putLocation(runId, id);
          for (const key of seg.p.all("SELECT DISTINCT key FROM artifacts WHERE key IS NOT NULL", [], (r) => str(r[0]))) {
            const stats = seg.keyStats(key);
            if (!stats) continue;
            index.putKeySegment({ key, segment: id, versions: stats.versions, maxSeq: stats.latest.seq });
            const prev = index.keySummary(key);
            const versions = (prev?.versions ?? 0) + stats.versions;
            const l = prev && prev.seq > stats.latest.seq ? prev : { ...stats.latest, key, segment: id };
            index.putKeySummary({ key, seq: l.seq, id: l.id, type: l.type, description: l.description, flowRunId: l.flowRunId, taskRunId: l.taskRunId, created: l.created, updated: l.updated, segment: l.segment, versions });
          }
          for (const j of seg.journals()) index.putJournal({ ...j, segment: id });
          maxSeq = Math.max(maxSeq, num(seg.p.value("SELECT coalesce(max(seq), 0) FROM artifacts")));
          maxId = Math.max(maxId, id);
        } finally {
          seg.close();
        }
        break;
      }
    }
    index.setMeta("next_seq", String(maxSeq + 1));
    index.setMeta("next_segment", String(maxId + 1));
    index.setMeta("current_segment", String(maxId));
    index.setMeta("generation", "1");
    const file = dbPath(home);
    // The damaged file stays in place (kept aside by a link) until the rebuilt one is renamed over it.
    const aside = fs.existsSync(file) ? keepAside(file) : file;
    writeFileAtomic(file, index.export());
    return aside;
  } finally {
    index.close();
  }
}
