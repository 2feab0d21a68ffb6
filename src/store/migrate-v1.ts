import * as fs from "node:fs";
import type { Database, SqlValue } from "sql.js";
import type { ArtifactType, EngineEvent, LogLevel, StateType } from "../shared/events";
import { dbPath } from "../shared/home";
import { fileSignature } from "./atomic-file";
import { Applier, type JournalContext } from "./apply";
import { IndexDb } from "./index-db";
import { segmentLimit } from "./layout";
import { parseJson, str, optStr, num, strings } from "./sql";
import { WriteTx } from "./write-tx";

// Converting a Flowline 1.0 home (everything in one flowline.db) to the segmented layout, once, under the
// lock: the old rows are replayed through the same Applier that folds journals, run by run, so the new
// files hold exactly what folding the original events would have produced. The old file is kept as
// flowline.db.1.0-backup (a hard link: no extra space until it is deleted).

const RELEASE_EVERY = 200;

function each(db: Database, sql: string, params: SqlValue[], fn: (row: SqlValue[]) => void): void {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    while (stmt.step()) fn(stmt.get());
  } finally {
    stmt.free();
  }
}

function hasTable(db: Database, name: string): boolean {
  return (db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name])[0]?.values.length ?? 0) > 0;
}

export function convertLayoutOne(SQL: import("sql.js").SqlJsStatic, home: string, old: Database, note: (message: string) => void): void {
  const file = dbPath(home);
  const backup = `${file}.1.0-backup`;
  try {
    const total = num(old.exec("SELECT count(*) FROM flow_runs")[0]?.values[0]?.[0] ?? 0);
    const artifacts = hasTable(old, "artifacts") ? num(old.exec("SELECT count(*) FROM artifacts")[0]?.values[0]?.[0] ?? 0) : 0;
    note(`Converting this Flowline home to the 1.1 storage layout (${total} flow runs, ${artifacts} artifacts); this happens once.`);
    if (!fs.existsSync(backup)) fs.linkSync(file, backup);
    let clock = new Date();
    const tx = new WriteTx(SQL, home, IndexDb.create(SQL), fileSignature(file), { segmentLimit: segmentLimit(), now: () => clock, warn: note });
    const applier = new Applier(tx);
    let last = Date.now();
    const progress = (done: number, of: number, what: string) => {
      if (Date.now() - last < 2000) return;
      last = Date.now();
      note(`Converting: ${done} of ${of} ${what}…`);
    };
    try {
      let done = 0;
      each(old, "SELECT id, journal, created FROM flow_runs ORDER BY created, rowid", [], (r) => {
        const created = new Date(str(r[2]));
        if (!Number.isNaN(created.getTime())) clock = created;
        const ctx: JournalContext = { name: optStr(r[1]) ?? "flowline-1.0", segment: tx.currentSegment() };
        replayRun(old, applier, str(r[0]), ctx);
        if (++done % RELEASE_EVERY === 0) {
          applier.release();
          for (const seg of tx.loadedSegments()) if (seg.id !== tx.index.currentSegment) tx.flushSegment(seg.id);
          progress(done, total, "flow runs");
        }
      });
      applier.release();
      // Artifacts of no run (or of a run the old file no longer had) go to the current segment.
      if (artifacts > 0) {
        replayArtifacts(old, applier, "flow_run_id IS NULL OR flow_run_id NOT IN (SELECT id FROM flow_runs)", []);
        const maxSeq = num(old.exec("SELECT coalesce(max(seq), 0) FROM artifacts")[0]?.values[0]?.[0] ?? 0);
        tx.index.setMeta("next_seq", String(maxSeq + 1));
      }
      applier.release();
      // Journals already folded into the old file keep their progress (their runs are in the new files).
      if (hasTable(old, "journals")) {
        each(old, "SELECT name, folded_bytes, closed, done FROM journals", [], (r) => {
          const row = { name: str(r[0]), foldedBytes: num(r[1]), closed: num(r[2]) === 1, done: num(r[3]) === 1, segment: tx.currentSegment() };
          tx.index.putJournal(row);
          tx.segment(row.segment).putJournal(row.name, row.foldedBytes, row.closed, row.done);
        });
      }
      tx.commit();
    } finally {
      tx.close();
      tx.index.close();
    }
    note(`Converted. The 1.0 database is kept as ${backup}; delete it once you no longer need it.`);
  } finally {
    old.close();
  }
}

function replayRun(old: Database, applier: Applier, id: string, ctx: JournalContext): void {
  let flowRow: SqlValue[] | undefined;
  each(
    old,
    `SELECT id, name, flow_name, parameters, tags, parent_flow_run_id, parent_task_run_id, created, expected_start_time, file, pid,
        state_type, state_name, state_message, run_count, start_time, end_time, result_key, result FROM flow_runs WHERE id = ?`,
    [id],
    (r) => (flowRow = r),
  );
  if (!flowRow) return;
  const f = flowRow;
  const created = str(f[7]);
  const ev: EngineEvent = {
    e: "flow_run",
    id,
    name: str(f[1]),
    flowName: str(f[2]),
    parameters: parseJson(f[3]) ?? {},
    tags: strings(f[4]),
    parentFlowRunId: optStr(f[5]),
    parentTaskRunId: optStr(f[6]),
    created,
    expectedStartTime: optStr(f[8]) ?? created,
    file: optStr(f[9]),
    pid: f[10] === null ? 0 : num(f[10]),
  };
  applier.applyEvent(ev, ctx);
  replayHistory(old, applier, id, "flow", ctx, undefined);
  const run = applier.run(id);
  if (run) {
    // The stored row is the truth (a mark may have set what the history alone would not).
    Object.assign(run.row, {
      type: str(f[11]) as StateType,
      stateName: str(f[12]),
      message: optStr(f[13]),
      runCount: num(f[14]),
      start: optStr(f[15]),
      end: optStr(f[16]),
      resultKey: optStr(f[17]),
      resultJson: optStr(f[18]),
    });
    run.rowDirty = true;
  }
  each(
    old,
    "SELECT id, name, task_name, parameters, tags, cache_key, created, state_type, result_key FROM task_runs WHERE flow_run_id = ? ORDER BY created, rowid",
    [id],
    (t) => {
      const taskId = str(t[0]);
      applier.applyEvent({ e: "task_run", id: taskId, flowRunId: id, name: str(t[1]), taskName: str(t[2]), parameters: parseJson(t[3]) ?? {}, tags: strings(t[4]), cacheKey: optStr(t[5]), created: str(t[6]) }, ctx);
      // The result key was on the event of the final state, not in the history: it goes back on that state.
      replayHistory(old, applier, taskId, "task", ctx, { type: str(t[7]) as StateType, resultKey: optStr(t[8]) });
    },
  );
  each(old, "SELECT task_run_id, level, message, ts FROM logs WHERE flow_run_id = ? ORDER BY seq", [id], (l) => {
    applier.applyEvent({ e: "log", flowRunId: id, taskRunId: optStr(l[0]), level: str(l[1]) as LogLevel, message: str(l[2]), ts: str(l[3]) }, ctx);
  });
  if (hasTable(old, "artifacts")) replayArtifacts(old, applier, "flow_run_id = ?", [id]);
}

function replayHistory(
  old: Database,
  applier: Applier,
  runId: string,
  kind: "flow" | "task",
  ctx: JournalContext,
  final: { type: StateType; resultKey?: string } | undefined,
): void {
  const rows: SqlValue[][] = [];
  each(old, "SELECT type, name, message, ts FROM state_history WHERE run_id = ? ORDER BY seq", [runId], (h) => rows.push(h));
  // The creation already recorded the first Pending.
  if (rows.length && str(rows[0][0]) === "Pending" && str(rows[0][1]) === "Pending") rows.shift();
  let last = -1;
  if (final?.resultKey !== undefined) rows.forEach((h, i) => (str(h[0]) === final.type ? (last = i) : undefined));
  rows.forEach((h, i) => {
    const ev: EngineEvent = { e: "state", kind, id: runId, type: str(h[0]) as StateType, name: str(h[1]), message: optStr(h[2]), ts: str(h[3]) };
    if (i === last && final?.resultKey !== undefined) ev.resultKey = final.resultKey;
    applier.applyEvent(ev, ctx);
  });
}

/** Replays artifacts with their old sequence numbers, so versions keep their order across runs. */
function replayArtifacts(old: Database, applier: Applier, where: string, params: SqlValue[]): void {
  each(old, `SELECT id, key, type, description, data, flow_run_id, task_run_id, created, updated, seq FROM artifacts WHERE ${where} ORDER BY seq`, params, (a) => {
    const created = str(a[7]);
    const updated = str(a[8]);
    const data = parseJson(a[4]);
    const ev: EngineEvent = { e: "artifact", id: str(a[0]), key: optStr(a[1]), type: str(a[2]) as ArtifactType, description: optStr(a[3]), data, flowRunId: optStr(a[5]), taskRunId: optStr(a[6]), created };
    applier.importArtifact(ev, num(a[9]), updated);
  });
}
