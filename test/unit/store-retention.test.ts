import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent } from "../../src/shared/events";
import { journalDir, storageDir } from "../../src/shared/home";
import { openStore, type Store } from "../../src/store";
import { IndexDb } from "../../src/store/index-db";
import { loadSqlJs } from "../../src/store/sqljs";
import { markRetentionRan, parseRetentionDays, retentionDue, RETENTION_INTERVAL_MS } from "../../src/store/retention";
import { WriteTx } from "../../src/store/write-tx";

// Retention: what is old goes (runs with their task runs, states, logs and subflows; artifacts), what is
// recent or still going stays, result files stay, and automatic retention runs at most once an hour.

const DAY = 86_400_000;
const now = Date.now();
const ago = (days: number, ms = 0): string => new Date(now - days * DAY + ms).toISOString();

function run(id: string, created: string, extra: object = {}): EngineEvent[] {
  return [{ e: "flow_run", id, name: id, flowName: "f", parameters: {}, tags: [], created, expectedStartTime: created, pid: process.pid, ...extra } as EngineEvent];
}
function ended(kind: "flow" | "task", id: string, ts: string): EngineEvent[] {
  return [
    { e: "state", kind, id, type: "Running", name: "Running", ts },
    { e: "state", kind, id, type: "Completed", name: "Completed", ts },
  ];
}
function art(id: string, key: string | undefined, created: string, flowRunId?: string, type = "markdown"): EngineEvent {
  return { e: "artifact", id, key, type, data: 1, flowRunId, created } as EngineEvent;
}

/**
 * Old: run "old" (task "old-t", subflow "old-sub", logs) and artifacts. Recent: run "new". Kept though old:
 * "long" (started 40 days ago, ended yesterday) with its old subflow, and "going" (still Running, its writer,
 * this process, is alive), and a progress artifact updated yesterday.
 */
function history(): EngineEvent[] {
  return [
    ...run("old", ago(40)),
    { e: "task_run", id: "old-t", flowRunId: "old", name: "t-0", taskName: "t", parameters: {}, tags: [], created: ago(40) },
    ...ended("task", "old-t", ago(40, 1)),
    { e: "log", flowRunId: "old", taskRunId: "old-t", level: "INFO", message: "old line", ts: ago(40, 1) },
    ...run("old-sub", ago(40, 2), { parentFlowRunId: "old" }),
    ...ended("flow", "old-sub", ago(40, 3)),
    ...ended("flow", "old", ago(40, 4)),
    art("a-old-1", "report", ago(40), "old"),
    art("a-old-loose", undefined, ago(39)),
    art("a-only-old", "forgotten", ago(35)),

    ...run("long", ago(40)),
    ...run("long-sub", ago(39), { parentFlowRunId: "long" }),
    ...ended("flow", "long-sub", ago(39, 1)),
    ...ended("flow", "long", ago(1)),
    ...run("going", ago(40)),
    { e: "state", kind: "flow", id: "going", type: "Running", name: "Running", ts: ago(40) },
    art("a-progress", "load", ago(40), "going", "progress"),
    { e: "artifact_update", id: "a-progress", data: 80, ts: ago(1) },

    ...run("new", ago(1)),
    ...ended("flow", "new", ago(1, 5)),
    art("a-new-1", "report", ago(1), "new"),
    { e: "log", flowRunId: "new", level: "INFO", message: "new line", ts: ago(1, 1) },
  ];
}

describe("store retention", function () {
  this.timeout(20_000);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  async function storeWith(events: EngineEvent[], opts: Parameters<typeof openStore>[1] = {}): Promise<Store> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-retention-"));
    fs.mkdirSync(journalDir(home), { recursive: true });
    fs.writeFileSync(path.join(journalDir(home), `${process.pid}-history.ndjson`), events.map((e) => JSON.stringify(e) + "\n").join(""));
    fs.mkdirSync(storageDir(home), { recursive: true });
    fs.writeFileSync(path.join(storageDir(home), "result.json"), "{}");
    const store = await openStore(home, opts);
    cleanup.push(() => {
      store.close();
      fs.rmSync(home, { recursive: true, force: true });
    });
    await store.sync();
    return store;
  }

  const ids = (list: Array<{ id: string }>) => list.map((x) => x.id).sort();

  it("deletes only what is old: finished run trees with their task runs, states and logs, and old artifacts", async () => {
    const store = await storeWith(history());
    const dry = await store.prune({ olderThanDays: 30, dryRun: true });
    const expected = { flowRuns: 2, taskRuns: 1, states: 9, logs: 1, artifacts: 3 }; // states: Pending, Running, Completed of 3 runs
    assert.deepEqual({ ...dry, cutoff: undefined }, { ...expected, cutoff: undefined, dryRun: true });
    assert.equal((await store.listFlowRuns()).length, 6, "a dry run deletes nothing");

    const result = await store.prune({ olderThanDays: 30 });
    assert.deepEqual({ ...result, cutoff: undefined }, { ...expected, cutoff: undefined, dryRun: false });
    assert.ok(Math.abs(Date.parse(result.cutoff) - (Date.now() - 30 * DAY)) < 60_000);

    assert.deepEqual(ids((await store.listFlowRuns())), ["going", "long", "long-sub", "new"]);
    assert.equal((await store.getTaskRun("old", "old-t")), undefined);
    assert.deepEqual((await store.getStateHistory("old")), []);
    assert.deepEqual((await store.getStateHistory("old-t", "old")), []);
    assert.deepEqual((await store.getLogs({ flowRunId: "old" })), []);
    assert.deepEqual((await store.getLogs({ flowRunId: "new" })).map((l) => l.message), ["new line"]);
    assert.deepEqual(ids((await store.listArtifacts())), ["a-new-1", "a-progress"]);
    assert.deepEqual((await store.listArtifactKeys()).map((k) => [k.key, k.versions, k.latest.id]), [["report", 1, "a-new-1"], ["load", 1, "a-progress"]]);
    assert.ok(fs.existsSync(path.join(storageDir(store.home), "result.json")), "result files are not deleted");

    // Written to the file: another store sees the same; and a second prune finds nothing more.
    const other = await openStore(store.home);
    cleanup.unshift(() => other.close());
    assert.deepEqual(ids((await other.listFlowRuns())), ["going", "long", "long-sub", "new"]);
    assert.deepEqual({ ...(await other.prune({ olderThanDays: 30 })), cutoff: undefined }, { flowRuns: 0, taskRuns: 0, states: 0, logs: 0, artifacts: 0, cutoff: undefined, dryRun: false });
  });

  it("a dry run deletes nothing even when automatic retention is on and due", async () => {
    const plain = await storeWith(history()); // folded, and retention never ran here: it is due
    const withRetention = await openStore(plain.home, { retentionDays: 30 });
    cleanup.unshift(() => withRetention.close());
    const dry = await withRetention.prune({ olderThanDays: 30, dryRun: true });
    assert.equal(dry.flowRuns, 2);
    assert.equal((await withRetention.listFlowRuns()).length, 6, "nothing was deleted");
    assert.ok((await withRetention.sync()).pruned, "the next sync does apply retention");
    assert.equal((await withRetention.listFlowRuns()).length, 4);
  });

  it("refuses a number of days that is negative or not a number; 0 (or all) deletes everything that ended", async () => {
    const store = await storeWith(history());
    for (const days of [-1, Number.NaN, Infinity]) {
      await assert.rejects(store.prune({ olderThanDays: days }), /olderThanDays must be a number of days \(0 or more/);
    }
    const all = await store.prune({ olderThanDays: 0 });
    assert.deepEqual({ ...all, cutoff: undefined }, { flowRuns: 5, taskRuns: 1, states: 18, logs: 2, artifacts: 5, cutoff: undefined, dryRun: false });
    assert.deepEqual(ids(await store.listFlowRuns()), ["going"], "a run still going stays");
    assert.deepEqual(await store.listArtifacts(), []);
  });

  it("FLOWLINE_RETENTION_DAYS: sync prunes, and then not again within the hour, whichever store syncs", async () => {
    const store = await storeWith(history(), { retentionDays: 30 });
    const home = store.home;
    // The first sync (in storeWith) pruned, and recorded when.
    assert.deepEqual(ids((await store.listFlowRuns())), ["going", "long", "long-sub", "new"]);
    fs.writeFileSync(path.join(journalDir(home), `${process.pid}-more.ndjson`), history().map((e) => JSON.stringify(e) + "\n").join(""));
    const second = await store.sync();
    assert.equal(second.pruned, undefined, "not again within the hour");
    assert.equal((await store.listFlowRuns()).length, 6);

    const previous = process.env.FLOWLINE_RETENTION_DAYS;
    process.env.FLOWLINE_RETENTION_DAYS = "30";
    cleanup.push(() => (previous === undefined ? delete process.env.FLOWLINE_RETENTION_DAYS : (process.env.FLOWLINE_RETENTION_DAYS = previous)));
    const other = await openStore(home);
    cleanup.unshift(() => other.close());
    assert.equal((await other.sync()).pruned, undefined, "another store (process) sees the last time in the database");
  });

  it("automatic retention runs when due: at first, then only an hour after the last run", async () => {
    const SQL = await loadSqlJs();
    const index = IndexDb.create(SQL);
    cleanup.push(() => index.close());
    const tx = new WriteTx(SQL, os.tmpdir(), index, "", { segmentLimit: 1 << 20, now: () => new Date(now), warn: () => undefined });
    assert.ok(retentionDue(tx, new Date(now)), "never ran: due");
    markRetentionRan(tx, new Date(now));
    assert.equal(retentionDue(tx, new Date(now + RETENTION_INTERVAL_MS - 1000)), false);
    assert.ok(retentionDue(tx, new Date(now + RETENTION_INTERVAL_MS + 1000)));
    assert.ok(retentionDue(tx, new Date(now - DAY)), "a last run in the future (a clock put back) does not stop it");
  });

  it("an environment variable that is not a number of days is reported, and nothing is deleted", async () => {
    assert.deepEqual(parseRetentionDays(undefined), {});
    assert.deepEqual(parseRetentionDays("0"), {});
    assert.deepEqual(parseRetentionDays(" 30 "), { days: 30 });
    assert.deepEqual(parseRetentionDays("0.5"), { days: 0.5 });
    const previous = process.env.FLOWLINE_RETENTION_DAYS;
    process.env.FLOWLINE_RETENTION_DAYS = "thirty";
    cleanup.push(() => (previous === undefined ? delete process.env.FLOWLINE_RETENTION_DAYS : (process.env.FLOWLINE_RETENTION_DAYS = previous)));
    const warnings: string[] = [];
    const store = await storeWith(history(), { onWarning: (m) => warnings.push(m) });
    await store.sync();
    assert.equal((await store.listFlowRuns()).length, 6);
    assert.deepEqual(warnings, ['FLOWLINE_RETENTION_DAYS is "thirty"; set it to a number of days (such as 30), or 0 to keep everything. Nothing was deleted.']);
  });
});
