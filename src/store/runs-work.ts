import { isTerminal, type StateType } from "../shared/events";
import { allEnded, LOG_CHUNK_BYTES, LOG_CHUNK_LINES, moveCount, replayTasks, TASK_CHUNK_BYTES, TASK_CHUNK_RECORDS } from "./records";
import type { ChunkRow, FlowRow, LogChunkRow, Segment } from "./segment";

// A flow run being written: its row, the chunks of its task runs that can still change, and its open log
// chunk, held in memory while journals are folded into it. A chunk is the journal lines of its task runs
// (their creation and every state), kept as they are and replayed when read, so folding a task run parses
// almost nothing. Chunks that are full and whose runs all ended go to the payload file at once and leave
// memory, so a run of a million task runs is folded in the memory of a few chunks.

interface OpenChunk {
  row: ChunkRow;
  /** Its text as stored when it was loaded (inline or in the payload file), read only when it is written. */
  stored: { doc?: string; ref?: ChunkRow["ref"] };
  /** Lines added since. */
  added: string[];
  bytes: number;
  /** The task runs it holds, as far as this fold knows them (all of them once loaded). */
  ids: string[];
  dirty: boolean;
}

interface LogTail {
  row: LogChunkRow;
  stored?: string;
  added: string[];
  dirty: boolean;
}

/** Where a task run is, and its state type as of the lines folded so far. */
export interface TaskLocation {
  run: RunWork;
  chunk: number;
  type: StateType;
}

/** The fold's map from task run id to where it is (only task runs whose chunk is in memory are in it). */
export interface TaskIndex {
  get(id: string): TaskLocation | undefined;
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

  get id(): string {
    return this.row.id;
  }

  /** Loads every chunk not yet in memory (to find a task run whose chunk had ended). */
  loadAll(): void {
    for (const c of this.chunks) if (!this.open.has(c.chunk)) this.loadChunk(c.chunk);
  }

  private storedText(c: OpenChunk): string {
    if (c.stored.doc !== undefined) return c.stored.doc;
    return c.stored.ref ? this.seg.read(c.stored.ref).toString("utf8") : "";
  }

  private loadChunk(n: number): OpenChunk {
    const row = this.chunks[n];
    const doc = this.seg.p.value("SELECT doc FROM task_chunks WHERE flow_run_id = ? AND chunk = ?", [this.row.id, n]);
    const chunk: OpenChunk = { row, stored: doc !== null ? { doc: String(doc) } : { ref: row.ref }, added: [], bytes: 0, ids: [], dirty: false };
    const text = this.storedText(chunk);
    chunk.bytes = text.length;
    for (const r of replayTasks(text)) {
      chunk.ids.push(r.id);
      this.tasks.set(r.id, { run: this, chunk: n, type: r.type });
    }
    this.open.set(n, chunk);
    return chunk;
  }

  private chunkAt(n: number): OpenChunk {
    return this.open.get(n) ?? this.loadChunk(n);
  }

  /**
   * Adds a new task run to the last chunk, starting a new chunk when that one is full. Its state is Pending,
   * or the state its line stands for too (event-lines.ts).
   */
  addTask(id: string, created: string, text: string, type: StateType = "Pending"): void {
    let tail = this.chunks.length ? this.open.get(this.chunks.length - 1) : undefined;
    if (!tail || tail.ids.length >= TASK_CHUNK_RECORDS || tail.bytes >= TASK_CHUNK_BYTES) {
      const full = tail;
      const row: ChunkRow = { flowRunId: this.row.id, chunk: this.chunks.length, count: 0, lines: 0, states: {}, firstCreated: created };
      this.chunks.push(row);
      tail = { row, stored: {}, added: [], bytes: 0, ids: [], dirty: true };
      this.open.set(row.chunk, tail);
      if (full) this.settle(full); // no longer the last chunk: it can go once its runs have ended
    }
    tail.added.push(text);
    tail.ids.push(id);
    tail.bytes += text.length + 1;
    tail.row.count++;
    tail.row.lines++;
    moveCount(tail.row.states, undefined, type);
    tail.dirty = true;
    this.row.taskRuns++;
    moveCount(this.row.taskStates, undefined, type);
    this.rowDirty = true;
    this.tasks.set(id, { run: this, chunk: tail.row.chunk, type });
  }

  /** Records a state line of a task run; a run that already ended keeps its state (the line is history). */
  taskState(loc: TaskLocation, type: StateType, text: string): void {
    const chunk = this.chunkAt(loc.chunk);
    chunk.added.push(text);
    chunk.bytes += text.length + 1;
    chunk.row.lines++;
    chunk.dirty = true;
    if (!isTerminal(loc.type) && type !== loc.type) {
      moveCount(chunk.row.states, loc.type, type);
      moveCount(this.row.taskStates, loc.type, type);
      loc.type = type;
      this.rowDirty = true;
    }
    if (loc.chunk !== this.chunks.length - 1) this.settle(chunk);
  }

  /** Task runs still Pending or Running (their chunks are in memory: those are never settled). */
  openTasks(): Array<[string, TaskLocation]> {
    const out: Array<[string, TaskLocation]> = [];
    for (const c of this.open.values()) {
      if (allEnded(c.row.states)) continue;
      for (const id of c.ids) {
        const loc = this.tasks.get(id);
        if (loc && !isTerminal(loc.type)) out.push([id, loc]);
      }
    }
    return out;
  }

  addLog(text: string): void {
    let tail = this.logTail;
    if (!tail) {
      const rows = this.seg.logChunks(this.row.id);
      const last = rows[rows.length - 1];
      tail = last && last.doc !== undefined ? { row: last, stored: last.doc, added: [], dirty: false } : this.newLogChunk(last ? last.chunk + 1 : 0);
      this.logTail = tail;
    }
    if (tail.row.count >= LOG_CHUNK_LINES || tail.row.bytes >= LOG_CHUNK_BYTES) {
      this.sealLogs(tail);
      tail = this.logTail = this.newLogChunk(tail.row.chunk + 1);
    }
    this.row.logs++;
    this.row.logBytes += text.length;
    tail.added.push(text);
    tail.row.count++;
    tail.row.bytes += text.length + 1;
    tail.dirty = true;
    this.rowDirty = true;
  }

  private newLogChunk(chunk: number): LogTail {
    return { row: { flowRunId: this.row.id, chunk, firstSeq: this.row.logs + 1, count: 0, bytes: 0 }, added: [], dirty: true };
  }

  private logText(tail: LogTail): string {
    return (tail.stored ?? "") + (tail.added.length ? tail.added.join("\n") + "\n" : "");
  }

  private sealLogs(tail: LogTail): void {
    const text = this.logText(tail);
    tail.row.ref = this.seg.append(Buffer.from(text));
    tail.row.doc = undefined;
    tail.stored = text;
    tail.added = [];
    this.seg.putLogChunk(tail.row);
  }

  /** A full chunk whose runs all ended is written to the payload file now and dropped from memory. */
  private settle(chunk: OpenChunk): void {
    const full = chunk.row.chunk !== this.chunks.length - 1;
    if (!full || !allEnded(chunk.row.states)) return;
    if (chunk.dirty) this.writeChunk(chunk, true);
    this.open.delete(chunk.row.chunk);
    for (const id of chunk.ids) this.tasks.delete(id);
  }

  private writeChunk(chunk: OpenChunk, toPayload: boolean): void {
    const text = this.storedText(chunk) + (chunk.added.length ? chunk.added.join("\n") + "\n" : "");
    if (toPayload) {
      chunk.row.ref = this.seg.append(Buffer.from(text));
      chunk.row.doc = undefined;
      chunk.stored = { ref: chunk.row.ref };
    } else {
      chunk.row.doc = text;
      chunk.row.ref = undefined;
      chunk.stored = { doc: text };
    }
    chunk.added = [];
    this.seg.putTaskChunk(chunk.row);
    chunk.dirty = false;
  }

  /**
   * Writes what changed into the segment: the open chunks, the log tail, the row. While the run goes, its
   * last chunks stay inline (they change at every fold); once it ended they go to the payload file too,
   * so a segment's database holds rows and references, and stays small.
   */
  flush(): void {
    const last = this.chunks.length - 1;
    const ended = isTerminal(this.row.type);
    for (const chunk of [...this.open.values()]) {
      if (chunk.dirty || (ended && chunk.row.ref === undefined)) this.writeChunk(chunk, ended || chunk.row.chunk !== last);
      this.settle(chunk);
    }
    const tail = this.logTail;
    if (tail && (tail.dirty || (ended && tail.row.ref === undefined))) {
      if (ended) this.sealLogs(tail);
      else {
        tail.stored = this.logText(tail);
        tail.added = [];
        tail.row.doc = tail.stored;
        tail.row.ref = undefined;
        this.seg.putLogChunk(tail.row);
      }
      tail.dirty = false;
    }
    if (this.rowDirty) {
      this.seg.putFlowRow(this.row);
      this.rowDirty = false;
    }
  }
}
