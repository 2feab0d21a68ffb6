// The pieces a task run's bookkeeping is made of, made cheaply (see bench/engine-overhead.mjs): they must
// say exactly what the plain, slower ways say.
import { strict as assert } from "node:assert";
import { isoTime } from "../../src/engine/clock";
import { encodeEngineEvent, encodeEvent } from "../../src/engine/event-encoding";
import { newId } from "../../src/engine/ids";
import type { EngineEvent } from "../../src/shared/events";
import { classifyLine } from "../../src/store/event-lines";

describe("engine: the hot path's pieces", () => {
  it("isoTime is Date#toISOString, across seconds, days, leap years and before 1970", () => {
    const samples = [0, -1, -999, -1000, 951_782_400_000, 951_868_799_999, 1_709_164_800_000, 253_402_300_799_999, -62_167_219_200_000, Date.now()];
    for (let i = 0; i < 20_000; i++) samples.push(Math.floor((Math.random() * 2 - 0.3) * 253_402_300_799_999));
    // Times that go back and forth between seconds, as a submitted run's creation time and its states do.
    for (let i = 0; i < 1000; i++) samples.push(1_700_000_000_000 + (i % 2) * 5000 + i);
    for (const ms of samples) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
    // Outside the years 0–9999 it is still what toISOString says.
    assert.equal(isoTime(253_402_300_800_000), "+010000-01-01T00:00:00.000Z");
  });

  it("newId makes random version-4 UUIDs, as crypto.randomUUID does", () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    for (const id of ids.slice(0, 1000)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("the engine's events are written as JSON.stringify writes them, in the form the store reads without parsing", () => {
    const id = newId();
    const flowRunId = newId();
    const ts = isoTime();
    const events: EngineEvent[] = [
      { e: "task_run", id, flowRunId, name: "load-12", taskName: "load", parameters: { i: 1, s: "a\"b\\c\u2028", nested: [1, { x: null }] }, tags: ["t"], created: ts },
      { e: "task_run", id, flowRunId, name: 'say "hi"\n', taskName: "naïve ☃", parameters: {}, tags: Object.freeze([]) as unknown as string[], created: ts },
      { e: "task_run", id, flowRunId, name: "p", taskName: "p", parameters: { n: -0, f: 1.5e-7, big: 1e21, t: true, no: false, z: null, s: "plain ☃", "2": 2, "a b": "x" }, tags: [], created: ts },
      { e: "task_run", id, flowRunId, name: "p", taskName: "p", parameters: { inf: Infinity, u: undefined, d: new Date(0) as unknown, "q\"": 1 }, tags: [], created: ts },
      { e: "task_run", id, flowRunId, name: "p", taskName: "p", parameters: Object.assign(Object.create(null) as Record<string, unknown>, { i: 1 }), tags: [], created: ts },
      { e: "state", kind: "task", id, type: "Running", name: "Running", ts, runCount: 1 },
      { e: "state", kind: "task", id, type: "Running", name: "Retrying", ts, runCount: 12 },
      { e: "state", kind: "flow", id, type: "Completed", name: "Completed", ts },
      { e: "state", kind: "task", id, type: "Failed", name: "Failed", ts, runCount: 1, message: "boom" },
      { e: "log", flowRunId, taskRunId: id, level: "INFO", message: "hello", ts },
    ];
    for (const event of events) {
      assert.equal(encodeEngineEvent(event), `${JSON.stringify(event)}\n`);
      assert.equal(encodeEvent(event), JSON.stringify(event));
    }
    // A task run's lines are folded from their fixed form, not parsed.
    assert.deepEqual(
      events.slice(0, 7).map((event) => classifyLine(encodeEngineEvent(event).trimEnd())?.kind),
      ["task_run", "task_run", "task_run", "task_run", "task_run", "task_state", "task_state"],
    );
  });

  it("an event read back from elsewhere with ids or times JSON must escape is still written as valid JSON", () => {
    const odd: EngineEvent[] = [
      { e: "state", kind: "task", id: 'a"b', type: "Completed", name: "Completed", ts: "2024-01-01T00:00:00.000Z" },
      { e: "state", kind: "task", id: "x", type: "Completed", name: "Completed", ts: 'bad"ts' },
      { e: "task_run", id: "a\\b", flowRunId: "f", name: "n", taskName: "t", parameters: {}, tags: [], created: "2024-01-01T00:00:00.000Z" },
    ];
    for (const event of odd) assert.deepEqual(JSON.parse(encodeEvent(event)), event);
  });
});
