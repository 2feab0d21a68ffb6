import type { ArtifactEvent, ArtifactUpdateEvent, EngineEvent, FlowRunCreatedEvent, StateChange, StateType } from "../shared/events";
import { lineOf, type Line } from "./event-lines";
import { isoTime } from "./events-parse";
import type { KeySummary } from "./index-db";
import { applyStateToFields, pendingState, stateChangeOf } from "./records";
import { RunWork, type TaskIndex, type TaskLocation } from "./runs-work";
import type { ArtifactRow, FlowRow, Segment } from "./segment";
import type { WriteTx } from "./write-tx";

// Applies journal lines to the store inside one write: flow runs to their rows, task runs and log lines to
// their run's chunks (as the lines they are), artifacts to rows with their data. The one place that says
// what an event does to the store; folding journals, marking runs and converting a 1.0 database all come
// through here.

/** Data up to this many bytes of JSON stays in the artifact's row; more goes to the payload file. */
const INLINE_DATA = 512;

export class EventError extends Error {}

export interface JournalContext {
  name: string;
  /** The segment this journal's flow runs are homed in. */
  segment: number;
}

export class Applier implements TaskIndex {
  private readonly runs = new Map<string, RunWork>();
  private readonly taskLocations = new Map<string, TaskLocation>();
  /** Artifact keys changed in this write, merged into the index at flush. */
  private readonly keys = new Map<string, { latest: KeySummary | undefined; added: number; segments: Map<number, { added: number; maxSeq: number }> }>();
  /** The next artifact sequence number, once taken from the index. */
  private seq: number | undefined;

  constructor(private readonly tx: WriteTx) {}

  // TaskIndex
  get(id: string): TaskLocation | undefined {
    return this.taskLocations.get(id);
  }
  set(id: string, loc: TaskLocation): void {
    this.taskLocations.set(id, loc);
  }
  delete(id: string): void {
    this.taskLocations.delete(id);
  }

  /** A flow run in memory, loaded from its segment on first use. */
  run(id: string): RunWork | undefined {
    let work = this.runs.get(id);
    if (work) return work;
    const segment = this.tx.index.locate(id);
    if (segment === undefined) return undefined;
    work = RunWork.load(this.tx.segment(segment), id, this);
    if (work) this.runs.set(id, work);
    return work;
  }

  /** Applies an event that did not come from a journal line (a mark, a conversion). */
  applyEvent(ev: EngineEvent, journal: JournalContext): void {
    this.apply(lineOf(ev), journal);
  }

  apply(line: Line, journal: JournalContext): void {
    switch (line.kind) {
      case "task_run": {
        if (this.taskLocations.has(line.id)) return; // seen already
        const run = this.run(line.flowRunId);
        if (!run) throw new EventError(`task run ${line.id} belongs to flow run ${line.flowRunId}, which is not recorded`);
        run.addTask(line.id, isoTime(line.created), line.text, line.completed !== undefined ? "Completed" : line.running !== undefined ? "Running" : "Pending");
        return;
      }
      case "task_state": {
        const loc = this.findTask(line.id, journal);
        if (!loc) throw new EventError(`state ${line.type} for task run ${line.id}, which is not recorded`);
        loc.run.taskState(loc, line.type, line.text);
        return;
      }
      case "log": {
        const flowRunId = line.flowRunId ?? (line.taskRunId ? this.findTask(line.taskRunId, journal)?.run.id : undefined);
        const run = flowRunId !== undefined ? this.run(flowRunId) : undefined;
        if (!run) throw new EventError("a log line of no recorded flow run");
        run.addLog(line.text);
        return;
      }
      case "event":
        return this.event(line.event, journal);
    }
  }

  private event(ev: EngineEvent, journal: JournalContext): void {
    switch (ev.e) {
      case "flow_run":
        return this.flowRun(ev, journal);
      case "state":
        return this.flowState(ev.id, stateChangeOf(ev), "result" in ev ? ev.result : undefined);
      case "artifact":
        return this.artifact(ev);
      case "artifact_update":
        return this.artifactUpdate(ev, journal);
      default:
        // Cache entries live in cache/keys/ (the engine writes them); a close is the fold's to note.
        return;
    }
  }

  private flowRun(ev: FlowRunCreatedEvent, journal: JournalContext): void {
    if (this.runs.has(ev.id) || this.tx.index.locate(ev.id) !== undefined) return;
    const created = isoTime(ev.created);
    const row: FlowRow = {
      id: ev.id,
      name: ev.name,
      flowName: ev.flowName,
      parameters: ev.parameters,
      tags: ev.tags ?? [],
      parentFlowRunId: ev.parentFlowRunId ?? undefined,
      parentTaskRunId: ev.parentTaskRunId ?? undefined,
      ...pendingState(),
      created,
      expectedStartTime: ev.expectedStartTime ? isoTime(ev.expectedStartTime) : undefined,
      file: ev.file ?? undefined,
      pid: ev.pid ?? undefined,
      journal: journal.name,
      taskRuns: 0,
      taskStates: {},
      logs: 0,
      logBytes: 0,
    };
    const seg = this.tx.segment(journal.segment);
    this.runs.set(ev.id, RunWork.create(seg, row, this));
    this.tx.index.putLocation(ev.id, journal.segment);
    seg.addFlowState(ev.id, "Pending", "Pending", undefined, created);
  }

  private flowState(id: string, s: StateChange, result: unknown): void {
    const run = this.run(id);
    if (!run) throw new EventError(`state ${s.type} for flow run ${id}, which is not recorded`);
    if (applyStateToFields(run.row, s)) {
      if (result !== undefined) run.row.resultJson = JSON.stringify(result);
      run.rowDirty = true;
    }
    run.seg.addFlowState(id, s.type, s.name, s.message, s.ts);
  }

  /** Where a task run is: in memory, else in the chunks of the journal's runs not yet loaded. */
  private findTask(id: string, journal: JournalContext): TaskLocation | undefined {
    const known = this.taskLocations.get(id);
    if (known) return known;
    if (!this.tx.index.segment(journal.segment)) return undefined;
    for (const runId of this.tx.segment(journal.segment).runsOfJournal(journal.name, false)) {
      this.run(runId)?.loadAll();
      const loc = this.taskLocations.get(id);
      if (loc) return loc;
    }
    return undefined;
  }

  /** Adds an artifact with the sequence number and change time it already had (a conversion keeps them). */
  importArtifact(ev: ArtifactEvent, seq: number, updated: string): void {
    this.artifact(ev, seq, updated);
  }

  private artifact(ev: ArtifactEvent, seq?: number, updated?: string): void {
    const segmentId = (ev.flowRunId ? this.tx.index.locate(ev.flowRunId) : undefined) ?? this.tx.currentSegment();
    const seg = this.tx.segment(segmentId);
    const created = isoTime(ev.created);
    const row: ArtifactRow = {
      seq: seq ?? this.takeSeq(),
      id: ev.id,
      key: ev.key ?? undefined,
      type: ev.type,
      description: ev.description ?? undefined,
      flowRunId: ev.flowRunId ?? undefined,
      taskRunId: ev.taskRunId ?? undefined,
      created,
      updated: updated !== undefined ? isoTime(updated) : created,
      ...dataColumns(seg, ev.data),
    };
    if (!seg.insertArtifact(row)) return; // folded already
    if (row.key === undefined) return;
    // Keys change in memory and reach the index once, at flush: a fold of many versions of few keys
    // costs a few statements a key, not a few a version.
    const k = this.keys.get(row.key) ?? { latest: undefined, added: 0, segments: new Map<number, { added: number; maxSeq: number }>() };
    if (!k.latest || k.latest.seq < row.seq) k.latest = { ...summaryOf(row, segmentId), versions: 0 };
    k.added++;
    const ks = k.segments.get(segmentId) ?? { added: 0, maxSeq: 0 };
    ks.added++;
    ks.maxSeq = Math.max(ks.maxSeq, row.seq);
    k.segments.set(segmentId, ks);
    this.keys.set(row.key, k);
  }

  /** The next store-wide artifact sequence number (kept in memory; written to the index at flush). */
  private takeSeq(): number {
    this.seq ??= this.tx.index.nextSeq();
    return this.seq++;
  }

  /** A key's summary as the index will have it after this write (for updates within the same write). */
  private keySummary(key: string): KeySummary | undefined {
    const stored = this.tx.index.keySummary(key);
    const k = this.keys.get(key);
    if (!k) return stored;
    const latest = !stored || (k.latest && k.latest.seq > stored.seq) ? k.latest : stored;
    return latest ? { ...latest, versions: (stored?.versions ?? 0) + k.added } : undefined;
  }

  private flushKeys(): void {
    const index = this.tx.index;
    if (this.seq !== undefined) index.setMeta("next_seq", String(this.seq));
    for (const [key, k] of this.keys) {
      const summary = this.keySummary(key);
      if (summary) index.putKeySummary(summary);
      const stored = new Map(index.keySegments(key).map((s) => [s.segment, s]));
      for (const [segment, ks] of k.segments) {
        const before = stored.get(segment);
        index.putKeySegment({ key, segment, versions: (before?.versions ?? 0) + ks.added, maxSeq: Math.max(before?.maxSeq ?? 0, ks.maxSeq) });
      }
    }
    this.keys.clear();
  }

  private artifactUpdate(ev: ArtifactUpdateEvent, journal: JournalContext): void {
    const index = this.tx.index;
    const candidates = [journal.segment, index.currentSegment ?? -1, ...index.segments().map((s) => s.id).reverse()];
    for (const id of new Set(candidates)) {
      if (id < 0 || !index.segment(id)) continue;
      const seg = this.tx.segment(id);
      const row = seg.artifact(ev.id, false);
      if (!row) continue;
      if (row.type !== "progress") return; // only progress artifacts change in place
      const updated = isoTime(ev.ts);
      seg.updateArtifact(ev.id, dataColumns(seg, ev.data), ev.description ?? undefined, updated);
      const latest = row.key !== undefined ? this.keySummary(row.key) : undefined;
      if (latest && latest.id === row.id) {
        const k = this.keys.get(latest.key);
        const changed = { ...latest, updated, description: ev.description ?? latest.description };
        if (k?.latest?.id === row.id) k.latest = changed;
        else index.putKeySummary(changed);
      }
      return;
    }
    throw new EventError(`an update of artifact ${ev.id}, which is not recorded`);
  }

  /** Marks the unfinished runs a journal created (its writer died): returns how many changed. */
  crashJournal(journal: JournalContext, message: string, ts: string): number {
    if (!this.tx.index.segment(journal.segment)) return 0;
    let n = 0;
    for (const id of this.tx.segment(journal.segment).runsOfJournal(journal.name, false)) n += this.markRun(id, "Crashed", message, ts, journal);
    return n;
  }

  /** Marks a flow run, its subflow runs at any depth and their task runs that are unfinished. */
  markTree(flowRunId: string, type: Extract<StateType, "Crashed" | "Cancelled">, message: string, ts: string): number {
    const run = this.run(flowRunId);
    if (!run) return 0;
    const ctx: JournalContext = { name: run.row.journal ?? "", segment: this.tx.index.locate(flowRunId) as number };
    let n = this.markRun(flowRunId, type, message, ts, ctx);
    for (const child of run.seg.subflowRows(flowRunId)) n += this.markTree(child.id, type, message, ts);
    return n;
  }

  private markRun(id: string, type: StateType, message: string, ts: string, ctx: JournalContext): number {
    const run = this.run(id);
    if (!run) return 0;
    let n = 0;
    for (const [taskId] of run.openTasks()) {
      this.applyEvent({ e: "state", kind: "task", id: taskId, type, name: type, message, ts }, ctx);
      n++;
    }
    if (run.row.type === "Pending" || run.row.type === "Running") {
      this.flowState(id, { type, name: type, message, ts }, undefined);
      n++;
    }
    return n;
  }

  /** Writes every run in memory into its segment, and the artifact keys into the index (before the write commits). */
  flush(): void {
    for (const run of this.runs.values()) run.flush();
    this.flushKeys();
  }

  /** Writes every run in memory and lets them go (long conversions keep memory bounded this way). */
  release(): void {
    this.flush();
    this.runs.clear();
    this.taskLocations.clear();
  }
}

function dataColumns(seg: Segment, data: unknown): Pick<ArtifactRow, "data" | "ref"> {
  if (data === undefined) return {};
  const text = JSON.stringify(data);
  return text.length <= INLINE_DATA ? { data: text } : { ref: seg.append(Buffer.from(text)) };
}

function summaryOf(row: ArtifactRow, segment: number): Omit<KeySummary, "versions"> {
  return {
    key: row.key as string,
    seq: row.seq,
    id: row.id,
    type: row.type,
    description: row.description,
    flowRunId: row.flowRunId,
    taskRunId: row.taskRunId,
    created: row.created,
    updated: row.updated,
    segment,
  };
}
