// A task run whose Running and Completed states follow its creation directly is journalled as one line
// (journal.ts): fewer bytes a task run, and the store must read back exactly the states it stands for.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { flow, getRunLogger, task } from "flowline";
import { configureEngine, JournalSink } from "../../src/engine/config";
import { JournalWriter } from "../../src/engine/journal";
import { journalDir } from "../../src/shared/home";
import { openStore } from "../../src/store";
import { classifyLine } from "../../src/store/event-lines";

function journalLines(home: string): string[] {
  const dir = journalDir(home);
  return fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter(Boolean));
}

describe("journal: a task run's first states in its own line", () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-lines-"));
    configureEngine({ home, sink: new JournalSink(home, "run"), consoleLogs: false, logLevel: "WARNING" });
  });
  afterEach(() => {
    configureEngine({ sink: new JournalSink(fs.mkdtempSync(path.join(os.tmpdir(), "flowline-lines-")), "run") });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("a no-op task run is one line, and the store reads it as Pending, Running, then Completed, with its times", async () => {
    const double = task({ name: "double" }, async (i: number) => i * 2);
    const total = await flow({ name: "lines" }, async () => {
      let sum = 0;
      for (let i = 0; i < 50; i++) sum += await double(i);
      return sum;
    })();
    assert.equal(total, 2450);
    configureEngine({ sink: new JournalSink(fs.mkdtempSync(path.join(os.tmpdir(), "flowline-lines-")), "run") }); // closes the journal
    const lines = journalLines(home);
    const taskLines = lines.filter((l) => l.includes('"e":"task_run"'));
    assert.equal(taskLines.length, 50);
    assert.equal(lines.filter((l) => l.includes('"kind":"task"')).length, 0, "no separate task state lines");
    assert.ok(taskLines.every((l) => classifyLine(l)?.kind === "task_run"), "read in the fixed form, not parsed");

    const store = await openStore(home);
    try {
      await store.sync();
      const [run] = await store.listFlowRuns();
      assert.equal(run.state.type, "Completed");
      assert.deepEqual(run.taskRunCounts, { total: 50, byState: { Completed: 50 } });
      const tasks = await store.listTaskRuns(run.id, { limit: 100 });
      assert.equal(tasks.length, 50);
      for (const t of tasks) {
        assert.equal(t.state.type, "Completed");
        assert.equal(t.runCount, 1);
        assert.ok(t.startTime && t.endTime && t.created <= t.startTime && t.startTime <= t.endTime, JSON.stringify(t));
      }
      const history = await store.getStateHistory(tasks[7].id, run.id);
      assert.deepEqual(
        history.map((h) => h.name),
        ["Pending", "Running", "Completed"],
      );
      assert.equal(history[1].timestamp, tasks[7].startTime);
      assert.equal(history[2].timestamp, tasks[7].endTime);
    } finally {
      store.close();
    }
  });

  it("a task run that logs, fails or retries keeps its other states as lines of their own, in order", async () => {
    const talk = task({ name: "talk" }, async () => {
      getRunLogger().warning("said something");
      return 1;
    });
    let tries = 0;
    const flaky = task({ name: "flaky", retries: 1, retryDelaySeconds: 0 }, async () => {
      if (++tries === 1) throw new Error("first try fails");
      return 2;
    });
    await flow({ name: "mixed" }, async () => (await talk()) + (await flaky()))();
    configureEngine({ sink: new JournalSink(fs.mkdtempSync(path.join(os.tmpdir(), "flowline-lines-")), "run") });
    const store = await openStore(home);
    try {
      await store.sync();
      const [run] = await store.listFlowRuns();
      assert.equal(run.state.type, "Completed");
      const tasks = await store.listTaskRuns(run.id);
      const names = async (id: string) => (await store.getStateHistory(id, run.id)).map((h) => h.name);
      assert.deepEqual(await names(tasks[0].id), ["Pending", "Running", "Completed"]);
      assert.deepEqual(await names(tasks[1].id), ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"]);
      const logs = await store.getLogs({ flowRunId: run.id });
      assert.ok(logs.some((l) => l.message === "said something" && l.taskRunId === tasks[0].id));
    } finally {
      store.close();
    }
  });

  it("a task run's line is on disk when flushSync returns, whatever states may still follow it; its states as lines of their own (as older journals have them) fold alike", async () => {
    const writer = new JournalWriter(home, "run");
    const flowRunId = "f0000000-0000-4000-8000-000000000001";
    const id = "t0000000-0000-4000-8000-000000000001";
    const ts = "2026-01-01T00:00:00.000Z";
    writer.append({ e: "flow_run", id: flowRunId, name: "n", flowName: "f", parameters: {}, tags: [], created: ts, expectedStartTime: ts, pid: process.pid });
    writer.append({ e: "task_run", id, flowRunId, name: "t-0", taskName: "t", parameters: { i: 1 }, tags: [], created: ts });
    writer.flushSync();
    assert.ok(fs.readFileSync(writer.file, "utf8").includes(`"e":"task_run","id":"${id}"`), "the task_run line was held back by a flush");
    writer.append({ e: "state", kind: "task", id, type: "Running", name: "Running", ts, runCount: 1 });
    writer.flushSync();
    writer.append({ e: "state", kind: "task", id, type: "Completed", name: "Completed", ts, runCount: 1 });
    writer.close();
    // Written in three flushes: the same states as lines of their own.
    const kinds = fs.readFileSync(writer.file, "utf8").split("\n").filter(Boolean).map((l) => classifyLine(l)?.kind);
    assert.deepEqual(kinds, ["event", "task_run", "task_state", "task_state", "event"]);
    const store = await openStore(home);
    try {
      await store.sync();
      const [task] = await store.listTaskRuns(flowRunId);
      assert.equal(task.state.type, "Completed");
      assert.deepEqual((await store.getStateHistory(id, flowRunId)).map((h) => h.name), ["Pending", "Running", "Completed"]);
    } finally {
      store.close();
    }
  });
});
