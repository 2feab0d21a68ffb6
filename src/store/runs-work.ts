import type { TaskRunCreatedEvent } from "../engine/events";
import {
  allEnded,
  applyStateToFields,
  historyEntry,
  moveCount,
  LOG_CHUNK_BYTES,
  LOG_CHUNK_LINES,
  TASK_CHUNK_BYTES,
  TASK_CHUNK_RECORDS,
  type LogLine,
  type StateUpdate,
  type TaskRecord,
} from "./records";
import type { ChunkRow, FlowRow, LogChunkRow, Segment } from "./segment";

// A flow run being written: its row, the chunks of its task runs that can still change, and its open log
// chunk, held in memory while journals are folded into it. Chunks that are full and whose runs all ended
// go to the payload file at once and leave memory, so a run of a million task runs is folded in the
// memory of a few chunks.

interface OpenChunk {
  row: ChunkRow;
  records: TaskRecord[];
  /** Approximate JSON size of the records (from the journal lines they came from). */
  bytes: number;
  dirty: boolean;
}

interface LogTail {
  row: LogChunkRow;
  lines: LogLine[];
  dirty: boolean;
}

/** Where a task run's record is: its run and chunk. */
export interface TaskLocation {
  run: RunWork;
  chunk: number;
  index: number;
}

/** The fold's map from task run id to where its record is in memory (only records in memory are in it). */
export interface TaskIndex {
  set(id: string, loc: TaskLocation): void;
  delete(id: string): void;
}

export class RunWork {
  rowDirty: boolean;
  /** Every chunk's row, in order (the open ones' counts are kept current). */
  private readonly chunks: ChunkRow[];
  private readonly open = new Map<number, OpenChunk>();
  private logTail: LogTail | undefined;

  private constructor(
    readonly seg: Segment,
    public row: FlowRow,
    chunks: ChunkRow[],
    isNew: boolean,
    private readonly tasks: TaskIndex,
  ) {
    this.chunks = chunks;
    this.rowDirty = isNew;
  }

  static create(seg: Segment, row: FlowRow, tasks: TaskIndex): RunWork {
    return new RunWork(seg, row, [], true, tasks);
  }

  /** Loads a stored run with the chunks whose runs can still change, and the last one (it takes new runs). */
  static load(seg: Segment, id: string, tasks: TaskIndex): RunWork | undefined {
    const row = seg.flowRow(id);
    if (!row) return undefined;
    const chunks = seg.taskChunks(id, false);
    const work = new RunWork(seg, row, chunks, false, tasks);
    chunks.forEach((c, i) => {
      if (i === chunks.length - 1 || !allEnded(c.states)) work.loadChunk(c.chunk);
    });
    return work;
  }

  /** Loads every chunk not yet in memory (to find a task run whose chunk had ended). */
  loadAll(): void {
    for (const c of this.chunks) if (!this.open.has(c.chunk)) this.loadChunk(c.chunk);
  }

  private loadChunk(n: number): OpenChunk {
    const c = this.chunks[n];
    const text = this.seg.p.value("SELECT doc FROM task_chunks WHERE flow_run_id = ? AND chunk = ?", [this.row.id, n]);
    const records = (text !== null ? JSON.parse(String(text)) : c.ref ? this.seg.readJson(c.ref) : []) as TaskRecord[];
    const open: OpenChunk = { row: c, records, bytes: text !== null ? String(text).length : (c.ref?.len ?? 0), dirty: false };
    this.open.set(n, open);
    records.forEach((r, i) => this.tasks.set(r.id, { run: this, chunk: n, index: i }));
    return open;
  }

  private chunkAt(n: number): OpenChunk {
    return this.open.get(n) ?? this.loadChunk(n);
  }

  get id(): string {
    return this.row.id;
  }

  record(loc: TaskLocation): TaskRecord {
    return this.chunkAt(loc.chunk).records[loc.index];
  }

  /** Appends a new task run (Pending) to the last chunk, starting a new chunk when that one is full. */
  addTask(ev: TaskRunCreatedEvent, lineBytes: number): TaskLocation {
    let tail = this.chunks.length ? this.open.get(this.chunks.length - 1) : undefined;
    if (!tail || tail.records.length >= TASK_CHUNK_RECORDS || tail.bytes >= TASK_CHUNK_BYTES) {
      const full = tail;
      const row: ChunkRow = { flowRunId: this.row.id, chunk: this.chunks.length, count: 0, states: {}, firstCreated: ev.created };
      this.chunks.push(row);
      tail = { row, records: [], bytes: 0, dirty: true };
      this.open.set(row.chunk, tail);
      if (full) this.settle(full); // no longer the last chunk: it can go once its runs have ended
    }
    const record: TaskRecord = {
      id: ev.id,
      name: ev.name,
      taskName: ev.taskName,
      parameters: ev.parameters,
      tags: ev.tags ?? [],
      type: "Pending",
      stateName: "Pending",
      runCount: 0,
      created: ev.created,
      history: [["Pending", "Pending", ev.created]],
    };
    if (ev.cacheKey !== undefined) record.cacheKey = ev.cacheKey;
    tail.records.push(record);
    this.tasks.set(record.id, { run: this, chunk: tail.row.chunk, index: tail.records.length - 1 });
    tail.bytes += lineBytes + 60;
    tail.row.count++;
    moveCount(tail.row.states, undefined, "Pending");
    tail.dirty = true;
    this.row.taskRuns++;
    moveCount(this.row.taskStates, undefined, "Pending");
    this.rowDirty = true;
    return { run: this, chunk: tail.row.chunk, index: tail.records.length - 1 };
  }

  /** Applies a state to a task run; its history grows even when the run had already ended. */
  taskState(loc: TaskLocation, s: StateUpdate): void {
    const chunk = this.chunkAt(loc.chunk);
    const record = chunk.records[loc.index];
    const before = record.type;
    applyStateToFields(record, s);
    record.history.push(historyEntry(s));
    if (record.type !== before) {
      moveCount(chunk.row.states, before, record.type);
      moveCount(this.row.taskStates, before, record.type);
      this.rowDirty = true;
    }
    chunk.dirty = true;
    if (loc.chunk !== this.chunks.length - 1) this.settle(chunk);
  }

  /** Task runs still Pending or Running, with where they are. */
  openTasks(): TaskLocation[] {
    const out: TaskLocation[] = [];
    for (const [n, c] of this.open) {
      if (allEnded(c.row.states)) continue;
      c.records.forEach((r, i) => {
        if (r.type === "Pending" || r.type === "Running") out.push({ run: this, chunk: n, index: i });
      });
    }
    return out;
  }

  addLog(taskRunId: string | null, level: string, message: string, ts: string): void {
    let tail = this.logTail;
    if (!tail) {
      const rows = this.seg.logChunks(this.row.id);
      const last = rows[rows.length - 1];
      if (last && last.doc !== undefined) tail = { row: last, lines: JSON.parse(last.doc) as LogLine[], dirty: false };
      else tail = this.newLogChunk(last ? last.chunk + 1 : 0);
      this.logTail = tail;
    }
    if (tail.row.count >= LOG_CHUNK_LINES || tail.row.bytes >= LOG_CHUNK_BYTES) {
      this.sealLogs(tail);
      tail = this.logTail = this.newLogChunk(tail.row.chunk + 1);
    }
    const seq = ++this.row.logs;
    this.row.logBytes += message.length;
    tail.lines.push([seq, taskRunId, level, message, ts]);
    tail.row.count++;
    tail.row.bytes += message.length + 64;
    tail.dirty = true;
    this.rowDirty = true;
  }

  private newLogChunk(chunk: number): LogTail {
    return { row: { flowRunId: this.row.id, chunk, firstSeq: this.row.logs + 1, count: 0, bytes: 0 }, lines: [], dirty: true };
  }

  private sealLogs(tail: LogTail): void {
    tail.row.ref = this.seg.append(tail.lines);
    tail.row.doc = undefined;
    this.seg.putLogChunk(tail.row);
  }

  /** A full chunk whose runs all ended is written to the payload file now and dropped from memory. */
  private settle(chunk: OpenChunk): void {
    const full = chunk.row.chunk !== this.chunks.length - 1;
    if (!full || !allEnded(chunk.row.states)) return;
    if (chunk.dirty) this.writeChunk(chunk, true);
    this.open.delete(chunk.row.chunk);
    for (const r of chunk.records) this.tasks.delete(r.id);
  }

  private writeChunk(chunk: OpenChunk, toPayload: boolean): void {
    if (toPayload) {
      chunk.row.ref = this.seg.append(chunk.records);
      chunk.row.doc = undefined;
    } else {
      chunk.row.doc = JSON.stringify(chunk.records);
      chunk.row.ref = undefined;
    }
    this.seg.putTaskChunk(chunk.row);
    chunk.dirty = false;
  }

  /** Writes what changed into the segment: the open chunks (the last one inline), the log tail, the row. */
  flush(): void {
    const last = this.chunks.length - 1;
    for (const chunk of this.open.values()) {
      if (chunk.dirty) this.writeChunk(chunk, chunk.row.chunk !== last);
    }
    for (const chunk of [...this.open.values()]) this.settle(chunk);
    const tail = this.logTail;
    if (tail?.dirty) {
      tail.row.doc = JSON.stringify(tail.lines);
      tail.row.ref = undefined;
      this.seg.putLogChunk(tail.row);
      tail.dirty = false;
    }
    if (this.rowDirty) {
      this.seg.putFlowRow(this.row);
      this.rowDirty = false;
    }
  }
}
