import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureBuilt } from "../faults/helpers";
import { teamDrivers } from "../../src/team/drivers";
import { openPgStore } from "../../src/team/pg-store";
import { freshDatabase } from "./cluster";
import { machine, TEAM_FIXTURES, type Machine } from "./team-helpers";

// Two machines (two folders, two homes) pointed at one PostgreSQL database through FLOWLINE_DATABASE_URL.

interface RunJson {
  flowRun: { id: string; state: string; name: string };
  taskRuns: Array<{ taskName: string; state: string; stateName: string }>;
  result: unknown;
}
interface ArtifactJson {
  id: string;
  key?: string;
  type: string;
  data: unknown;
  flowRunId?: string;
}

describe("team mode: a shared PostgreSQL store", function () {
  this.timeout(120_000);
  let a: Machine;
  let b: Machine;
  let url: string;

  before(async () => {
    ensureBuilt();
    url = await freshDatabase();
    a = machine("a", url, ["report.ts"]);
    b = machine("b", url, ["report.ts"]);
  });

  it("a run started on one machine, with its task runs, logs and artifacts, is seen from the other", async () => {
    const run = await a.json<RunJson>(["run", "report.ts", "--param", "who=ann"]);
    assert.equal(run.flowRun.state, "Completed");
    assert.deepEqual(run.result, { sq: 16, label: "table for ann" });

    const runs = await b.json<Array<{ id: string; flowName: string; state: string }>>(["runs", "ls"]);
    assert.deepEqual(runs.map((r) => [r.id, r.flowName, r.state]), [[run.flowRun.id, "report", "Completed"]]);
    const seen = await b.json<{ flowRun: { id: string }; taskRuns: Array<{ taskName: string; state: string }> }>(["runs", "inspect", run.flowRun.id.slice(0, 8)]);
    assert.deepEqual(seen.taskRuns.map((t) => [t.taskName, t.state]), [["square", "Completed"], ["tabulate", "Completed"]]);

    const table = await b.json<ArtifactJson[]>(["artifacts", "inspect", "team-table"]);
    // Read back as it was created: records.
    assert.deepEqual(table.map((t) => t.data), [[{ who: "ann", machine: "a" }]]);
    assert.equal(table[0].flowRunId, run.flowRun.id);
    const store = await openPgStore(b.env.FLOWLINE_HOME, url);
    const logs = await store.getLogs({ flowRunId: run.flowRun.id });
    assert.ok(logs.some((l) => l.message === "report by ann on a"), logs.map((l) => l.message).join("\n"));
    // Nothing of it is in either home: there is no local database in team mode.
    assert.equal(fs.existsSync(path.join(a.dir, ".flowline", "flowline.db")), false);
    assert.equal(fs.existsSync(path.join(b.dir, ".flowline", "flowline.db")), false);
  });

  it("a cached result stored by one machine is a cache hit on the other, read from the shared results", async () => {
    const first = await a.json<RunJson>(["run", "report.ts", "--param", "who=cat", "--param", "n=7"]);
    assert.equal(first.taskRuns.find((t) => t.taskName === "square")?.stateName, "Completed");
    const second = await b.json<RunJson>(["run", "report.ts", "--param", "who=dan", "--param", "n=7"]);
    assert.equal(second.taskRuns.find((t) => t.taskName === "square")?.stateName, "Cached");
    assert.deepEqual(second.result, { sq: 49, label: "table for dan" });
    assert.equal(fs.readFileSync(path.join(a.dir, "ran.txt"), "utf8").includes("square 7"), true);
    assert.equal(fs.existsSync(path.join(b.dir, "ran.txt")) && fs.readFileSync(path.join(b.dir, "ran.txt"), "utf8").includes("square 7"), false);
  });

  it("both machines write at once and every run and artifact version is kept", async () => {
    const runs = await Promise.all([
      ...[1, 2, 3].map((i) => a.json<RunJson>(["run", "report.ts", "--param", `who=a${i}`])),
      ...[1, 2, 3].map((i) => b.json<RunJson>(["run", "report.ts", "--param", `who=b${i}`])),
    ]);
    assert.ok(runs.every((r) => r.flowRun.state === "Completed"));
    const versions = await a.json<ArtifactJson[]>(["artifacts", "inspect", "team-table"]);
    const whos = versions.map((v) => (v.data as Array<{ who: string }>)[0].who).sort();
    for (const who of ["a1", "a2", "a3", "b1", "b2", "b3"]) assert.ok(whos.includes(who), `${who} is missing from ${whos.join(",")}`);
    const ids = new Set((await b.json<Array<{ id: string }>>(["runs", "ls"])).map((r) => r.id));
    for (const r of runs) assert.ok(ids.has(r.flowRun.id));
  });

  it("an artifact whose create call returned is in the database even when the process is killed on the next line", async () => {
    fs.copyFileSync(path.join(TEAM_FIXTURES, "acked.ts"), path.join(a.dir, "acked.ts"));
    const r = await a.run(["run", "acked.ts"]);
    assert.equal(r.code, 1, r.stderr);
    const kept = await b.json<ArtifactJson[]>(["artifacts", "inspect", "acked-before-kill"]);
    assert.deepEqual(kept.map((k) => k.data), ["# kept"]);
    const runs = await b.json<Array<{ flowName: string; state: string }>>(["runs", "ls"]);
    assert.equal(runs.find((x) => x.flowName === "acked")?.state, "Crashed");
  });

  it("a NUL character in a log line or an artifact is stored as U+FFFD, and the run's records are all kept", async () => {
    fs.copyFileSync(path.join(TEAM_FIXTURES, "nul.ts"), path.join(a.dir, "nul.ts"));
    const run = await a.json<RunJson>(["run", "nul.ts"]);
    assert.equal(run.flowRun.state, "Completed");
    const art = await b.json<ArtifactJson[]>(["artifacts", "inspect", "nul-text"]);
    assert.deepEqual(art.map((x) => x.data), ["a\ufffdb and a literal \\u0000"]);
    const logs = await (await openPgStore(b.env.FLOWLINE_HOME, url)).getLogs({ flowRunId: run.flowRun.id });
    assert.ok(logs.some((l) => l.message === "binary \ufffd output"), logs.map((l) => l.message).join("\n"));
  });

  it("deleting an artifact key on one machine removes it for the other", async () => {
    const rm = await b.run(["artifacts", "rm", "note-ann"]);
    assert.equal(rm.code, 0, rm.stderr);
    const left = await a.json<ArtifactJson[]>(["artifacts", "ls"]);
    assert.equal(left.some((x) => x.key === "note-ann"), false);
    assert.equal(left.some((x) => x.key === "team-table"), true);
  });

  it("prune --all --results on one machine deletes every finished run and its result rows, except those the cache uses", async () => {
    const r = await b.json<{ flowRuns: number; artifacts: number; resultFiles: number }>(["prune", "--all", "--results"]);
    assert.ok(r.flowRuns >= 9 && r.artifacts > 0 && r.resultFiles > 0, JSON.stringify(r));
    assert.deepEqual(await a.json<unknown[]>(["runs", "ls"]), []);
    // The cached squares stay reusable: a new run on a is still a cache hit for n=7.
    const again = await a.json<RunJson>(["run", "report.ts", "--param", "who=kim", "--param", "n=7"]);
    assert.equal(again.taskRuns.find((t) => t.taskName === "square")?.stateName, "Cached");
  });
});

describe("team mode: a database that cannot be used", function () {
  this.timeout(60_000);
  before(ensureBuilt);

  it("an unreachable server is one clear line that names it without its password", async () => {
    const m = machine("nowhere", "postgres://flowline:hunter2@127.0.0.1:1/team", []);
    const r = await m.run(["runs", "ls"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^flowline: Cannot reach the team database postgres:\/\/flowline:\*\*\*@127\.0\.0\.1:1\/team: .*Check FLOWLINE_DATABASE_URL/);
    assert.equal(r.stderr.includes("hunter2"), false);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });

  it("a URL that is not PostgreSQL's is refused with what to write instead", async () => {
    const r = await machine("mysql", "mysql://x@y/z", []).run(["runs", "ls"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /FLOWLINE_DATABASE_URL must be a PostgreSQL URL \(postgres:\/\/user:password@host:5432\/database\)/);
  });
});

describe("team mode: results behind FLOWLINE_RESULTS_URL", function () {
  this.timeout(120_000);
  before(ensureBuilt);

  it("by default a persisted result is a row of the team database, not a file of the home", async () => {
    const url = await freshDatabase();
    const a = machine("a", url, ["report.ts"]);
    const run = await a.json<RunJson>(["run", "report.ts", "--param", "who=gus"]);
    assert.equal(run.flowRun.state, "Completed");
    assert.equal(fs.existsSync(path.join(a.dir, ".flowline", "storage", "table-gus.json")), false);
    const { pg } = teamDrivers();
    const client = new pg.Client(url);
    await client.connect();
    const rows = (await client.query<{ body: string }>("SELECT body FROM results WHERE key = 'table-gus.json'")).rows;
    await client.end();
    assert.equal(JSON.parse(rows[0].body).data, "table for gus");
  });

  it("a folder path keeps results as files in that shared folder, where the other machine's cache lookup reads them", async () => {
    const url = await freshDatabase();
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-team-results-"));
    const a = machine("a", url, ["report.ts"], { FLOWLINE_RESULTS_URL: shared });
    const b = machine("b", url, ["report.ts"], { FLOWLINE_RESULTS_URL: shared });
    await a.json<RunJson>(["run", "report.ts", "--param", "who=hal", "--param", "n=9"]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(shared, "table-hal.json"), "utf8")).data, "table for hal");
    const second = await b.json<RunJson>(["run", "report.ts", "--param", "who=ida", "--param", "n=9"]);
    assert.equal(second.taskRuns.find((t) => t.taskName === "square")?.stateName, "Cached");
    assert.deepEqual(second.result, { sq: 81, label: "table for ida" });
    assert.equal(fs.existsSync(path.join(b.dir, "ran.txt")), false, "the cached task did not run on b");
  });
});
