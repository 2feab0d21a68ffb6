import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openStore } from "../../src/store";
import { ensureBuilt } from "./helpers/build";

// Artifacts end to end with real processes: `flowline run` of flow files from test/fixtures/artifacts,
// then `flowline artifacts ...` and `flowline prune` as a user types them. Several runs at once, a flow
// process SIGKILLed right after a create, a damaged database file. No mocks.

const REPO = path.resolve(__dirname, "..", "..");
const CLI = path.join(REPO, "bin", "flowline.js");
const FIXTURES = path.join(REPO, "test", "fixtures", "artifacts");
const KEYS = ["id", "key", "type", "description", "data", "flowRunId", "taskRunId", "created"];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}


function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!("FLOWLINE_HOME" in env)) delete fullEnv.FLOWLINE_HOME;
  delete fullEnv.NODE_OPTIONS;
  if (!("FLOWLINE_RETENTION_DAYS" in env)) delete fullEnv.FLOWLINE_RETENTION_DAYS;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd, env: fullEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    proc.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
    proc.on("error", reject);
    proc.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: Result) => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

 
function json(r: Result): any {
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout);
}

function usageError(r: Result, pattern: RegExp): void {
  assert.equal(r.code, 2, show(r));
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, show(r));
  assert.match(r.stderr, pattern, show(r));
}

describe("artifacts through the CLI (real processes)", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  before(ensureBuilt);
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function workspace(...files: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-artifacts-"));
    dirs.push(dir);
    for (const f of files) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
    return dir;
  }

  it("every kind round-trips; ls and inspect --json print each artifact's fields with data as created, not a string", async () => {
    const dir = workspace("all-kinds.ts", "pixel.png");
    const run = json(await cli(["run", "all-kinds.ts", "--json"], dir));
    const ids = run.result;
    const taskRunId = run.taskRuns[0].id;

    const latest = json(await cli(["artifacts", "ls", "--json"], dir));
    assert.deepEqual(latest.map((a: { key: string }) => a.key).sort(), ["cities", "columns", "pixel", "progress", "report-link", "rows", "summary"]);
    for (const a of latest) assert.deepEqual(Object.keys(a), KEYS);
    const byKey = Object.fromEntries(latest.map((a: { key: string }) => [a.key, a]));
    // Records come back as records, columns as columns, rows with their headers: as they were created.
    assert.deepEqual(byKey.cities.data, [
      { city: "Tokyo", pop: 37.1, when: "2024-01-02T03:04:05.000Z" },
      { city: "Delhi", pop: null, big: "12345678901234567890" },
    ]);
    assert.equal(byKey.cities.description, "# Cities\nTwo of them.");
    assert.equal(byKey.cities.taskRunId, taskRunId);
    assert.equal(byKey.cities.flowRunId, run.flowRun.id);
    assert.deepEqual(byKey.columns.data, { a: [1, 2], b: [null, { nested: [1, { deep: true }] }] });
    assert.deepEqual(byKey.rows.data, { headers: ["n", "letter"], rows: [[1, "x"], [2, "y"]] });
    const [inspected] = json(await cli(["artifacts", "inspect", "cities", "--json"], dir));
    assert.deepEqual(inspected.data, byKey.cities.data);
    assert.equal(byKey.progress.data, 75);
    assert.equal(byKey.summary.data, "# Done\n*all* kinds");
    assert.equal(byKey.summary.taskRunId, null);
    assert.deepEqual(byKey["report-link"].data, { url: "https://example.com/report", text: "the report" });
    assert.equal(byKey.pixel.data, "pixel.png", "relative to the folder the flow ran in");

    const all = json(await cli(["artifacts", "ls", "--all", "--json"], dir));
    assert.equal(all.length, 8, "--all adds the artifact without a key");
    assert.equal(all.find((a: { key: string | null }) => a.key === null).data, "https://example.com/a.png");
    assert.deepEqual(json(await cli(["artifacts", "ls", "--type", "table", "--json"], dir)).map((a: { id: string }) => a.id).sort(), [ids.columns, ids.records, ids.rows].sort());
    assert.equal(json(await cli(["artifacts", "ls", "--flow-run", run.flowRun.id.slice(0, 8), "--json"], dir)).length, 8);
    assert.deepEqual(json(await cli(["artifacts", "ls", "--text", "tokyo", "--json"], dir)).map((a: { id: string }) => a.id), [ids.records]);
    assert.deepEqual(json(await cli(["artifacts", "inspect", "--id", ids.link.slice(0, 8), "--json"], dir))[0].id, ids.link);

    const text = await cli(["artifacts", "ls"], dir);
    assert.match(text.stdout, /cities\s+table\s+.*2 rows × 4 \(city, pop, when, big\)/, show(text));
    assert.match(text.stdout, /progress\s+progress\s+.*75%/);
    const inspect = await cli(["artifacts", "inspect", "cities"], dir);
    assert.match(inspect.stdout, /Version 1 of 1 \(latest\)/);
    assert.match(inspect.stdout, /Tokyo\s+37\.1\s+2024-01-02T03:04:05\.000Z/, show(inspect));
    usageError(await cli(["artifacts", "ls", "--type", "chart"], dir), /--type must be one of table, markdown, link, progress, image, not 'chart'/);
    usageError(await cli(["artifacts", "inspect", "nope"], dir), /No artifact has the key 'nope'/);
  });

  it("rm deletes one version by id (or its start) and the latest moves to the next newest; rm <key> deletes all", async () => {
    const dir = workspace("many.ts");
    json(await cli(["run", "many.ts", "--param", "n=3", "--param", "key=report", "--json"], dir));
    const versions = json(await cli(["artifacts", "inspect", "report", "--json"], dir));
    assert.deepEqual(versions.map((a: { data: string }) => a.data), ["p 2", "p 1", "p 0"], "newest first");

    const rm = await cli(["artifacts", "rm", "--id", versions[0].id.slice(0, 8)], dir);
    assert.equal(rm.code, 0, show(rm));
    assert.match(rm.stdout, new RegExp(`Deleted artifact ${versions[0].id} of 'report'; its latest is now ${versions[1].id}`));
    assert.deepEqual(json(await cli(["artifacts", "ls", "--key", "report", "--json"], dir)).map((a: { id: string }) => a.id), [versions[1].id]);

    const rmKey = await cli(["artifacts", "rm", "report"], dir);
    assert.match(rmKey.stdout, /Deleted 2 versions of 'report'/, show(rmKey));
    assert.deepEqual(json(await cli(["artifacts", "ls", "--all", "--json"], dir)), []);
    usageError(await cli(["artifacts", "rm", "report"], dir), /No artifact has the key 'report'/);
    usageError(await cli(["artifacts", "rm", "--id", "ffffffff"], dir), /No artifact has an id starting with "ffffffff"/);
    usageError(await cli(["artifacts", "rm"], dir), /artifacts rm takes a key \(deletes every version\), or --id <id>/);
  });

  it("four processes writing 500 artifacts each on one key leave exactly 2,000 versions; readers never see a torn file", async () => {
    const dir = workspace("many.ts");
    const home = path.join(dir, ".flowline");
    // While they run, this process folds their journals as they grow (taking the lock against the CLIs,
    // which fold at their end) and another store only reads the file as it is replaced.
    const warnings: string[] = [];
    const writer = await openStore(home, { onWarning: (m) => warnings.push(m) });
    const reader = await openStore(home, { onWarning: (m) => warnings.push(m) });
    const runs = [0, 1, 2, 3].map((p) => cli(["run", "many.ts", "--param", "n=500", "--param", `tag=p${p}`, "--param", "pauseMs=50", "--json"], dir));
    let finished = false;
    void Promise.all(runs).then(() => (finished = true));
    const counts: number[] = [];
    try {
      while (!finished) {
        await writer.sync();
        counts.push((await reader.listArtifacts({ key: "shared", includeData: false })).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      writer.close();
      reader.close();
    }
    for (const r of await Promise.all(runs)) assert.equal(json(r).result, 500);
    assert.deepEqual(warnings, [], "no reader saw a damaged file");
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), "the number of versions never went backwards");

    const versions = json(await cli(["artifacts", "inspect", "shared", "--json"], dir));
    assert.equal(versions.length, 2000);
    assert.equal(new Set(versions.map((a: { id: string }) => a.id)).size, 2000);
    const data = new Set(versions.map((a: { data: string }) => a.data));
    for (let p = 0; p < 4; p++) for (let i = 0; i < 500; i++) assert.ok(data.has(`p${p} ${i}`), `p${p} ${i} is stored`);
    const latest = json(await cli(["artifacts", "ls", "--key", "shared", "--json"], dir));
    assert.deepEqual(latest.map((a: { id: string }) => a.id), [versions[0].id], "the latest is the newest version");
  });

  it("a SIGKILL on the line after a create keeps the artifact, and the run is recorded Crashed", async () => {
    const dir = workspace("kill-after-create.ts");
    const res = await cli(["run", "kill-after-create.ts", "--json"], dir);
    assert.equal(res.code, 1, show(res));
    const run = JSON.parse(res.stdout);
    assert.equal(run.flowRun.state, "Crashed");
    assert.deepEqual(run.taskRuns.map((t: { state: string }) => t.state), ["Crashed"]);

    const [fromTask] = json(await cli(["artifacts", "inspect", "from-task", "--json"], dir));
    assert.deepEqual(fromTask.data, [{ kept: true }]);
    assert.equal(fromTask.taskRunId, run.taskRuns[0].id);
    assert.equal(fromTask.flowRunId, run.flowRun.id);
    const [fromFlow] = json(await cli(["artifacts", "inspect", "from-flow", "--json"], dir));
    assert.equal(fromFlow.data, "created just before the task");
  });

  it("a damaged index is rebuilt from the segments, losing nothing, with a message naming both files; the command still works", async () => {
    const dir = workspace("many.ts");
    const db = path.join(dir, ".flowline", "flowline.db");
    json(await cli(["run", "many.ts", "--param", "n=2", "--json"], dir));
    const before = json(await cli(["artifacts", "ls", "--all", "--json"], dir));
    const good = fs.readFileSync(db);
    for (const damage of [Buffer.from("this is not a database"), good.subarray(0, Math.floor(good.length / 2))]) {
      fs.writeFileSync(db, damage);
      const res = await cli(["artifacts", "ls", "--all", "--json"], dir);
      assert.equal(res.code, 0, show(res));
      assert.deepEqual(JSON.parse(res.stdout), before, "every artifact is still there");
      assert.match(res.stderr, /flowline: warning: The Flowline database .*flowline\.db is damaged or not a SQLite file .*Rebuilt it from the segment files .*nothing was lost/);
      const kept = /the damaged original is kept at (\S+flowline\.db\.corrupt-\S+?)\./.exec(res.stderr);
      assert.ok(kept, show(res));
      assert.deepEqual(fs.readFileSync(kept[1]), damage, "the damaged file is kept as it was");
    }
    assert.equal(fs.readdirSync(path.dirname(db)).filter((f) => f.includes(".corrupt-")).length, 2);
  });

  it("prune: --dry-run says what would go, then it goes; result files stay; FLOWLINE_RETENTION_DAYS prunes by itself", async () => {
    const dir = workspace("many.ts");
    json(await cli(["run", "many.ts", "--param", "n=1", "--param", "key=recent", "--json"], dir));
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const oldRun = (id: string) => [
      { e: "flow_run", id, name: id, flowName: "old", parameters: {}, tags: [], created: old, expectedStartTime: old, pid: 1 },
      { e: "state", kind: "flow", id, type: "Completed", name: "Completed", ts: old },
      { e: "artifact", id: `${id}-art`, key: "ancient", type: "markdown", data: "old", flowRunId: id, created: old },
    ];
    const journal = path.join(dir, ".flowline", "journal", `${process.pid}-old.ndjson`);
    fs.writeFileSync(journal, oldRun("old-run").map((e) => JSON.stringify(e) + "\n").join(""));

    const dry = json(await cli(["prune", "--older-than", "30", "--dry-run", "--json"], dir));
    assert.deepEqual({ ...dry, cutoff: undefined }, { cutoff: undefined, dryRun: true, flowRuns: 1, taskRuns: 0, states: 2, logs: 0, artifacts: 1 });
    const text = await cli(["prune", "--older-than", "30"], dir);
    assert.equal(text.code, 0, show(text));
    assert.match(text.stdout, /^Deleted 1 flow run \(with 0 task runs, 2 states and 0 log lines\) and 1 artifact from before /);
    assert.match(text.stdout, /Result files in \.flowline[/\\]storage were kept \(--results deletes those of the deleted runs\)/);
    assert.deepEqual(json(await cli(["runs", "ls", "--json"], dir)).map((r: { flowName: string }) => r.flowName), ["many"]);
    assert.deepEqual(json(await cli(["artifacts", "ls", "--json"], dir)).map((a: { key: string }) => a.key), ["recent"]);

    fs.appendFileSync(journal, oldRun("old-again").map((e) => JSON.stringify(e) + "\n").join(""));
    const auto = await cli(["runs", "ls", "--json"], dir, { FLOWLINE_RETENTION_DAYS: "30" });
    assert.deepEqual(json(auto).map((r: { flowName: string }) => r.flowName), ["many"], "retention ran during the command's sync");

    usageError(await cli(["prune"], dir), /prune needs --older-than <days> .* or --all/);
    usageError(await cli(["prune", "--older-than", "soon"], dir), /--older-than takes a number of days, 0 or more/);
    const help = await cli(["prune", "--help"], dir);
    assert.match(help.stdout, /Without --results, result files under the storage folder are kept/);
  });

  it("a flow using a bad key or an image outside the workspace fails with the documented message", async () => {
    const dir = workspace("bad-key.ts", "escape-image.ts");
    const bad = await cli(["run", "bad-key.ts"], dir);
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /Artifact key "My Report" is not valid\. Artifact key must only contain lowercase letters, numbers, and dashes .*"my-report"/);
    const escape = await cli(["run", "escape-image.ts"], dir);
    assert.equal(escape.code, 1, show(escape));
    assert.match(escape.stderr, /Image path "\.\.\/outside\.png" is outside the workspace/);
    assert.deepEqual(json(await cli(["artifacts", "ls", "--all", "--json"], dir)), []);
  });
});
