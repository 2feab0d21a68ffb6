import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { journalDir } from "../../src/shared/home";
import { ensureBuilt } from "./helpers/build";
import { ALL_ESC, ESC, hostileHome, IDS, T, type HostileHome } from "./helpers/hostile-home";

// `flowline runs` / `artifacts` / `prune` over a journal an untrusted workspace shipped, every text field
// full of terminal escape sequences (clear screen, window title, OSC 52 clipboard write, a C1 CSI, DEL,
// a carriage return that overwrites a line). The real CLI in a real process: what reaches the terminal
// holds no control character but the line breaks, and shows each one as a C escape, as git does; --json
// stays valid JSON that gives back the stored text exactly.

const CLI = path.resolve(__dirname, "..", "..", "bin", "flowline.js");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], home: string): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, FLOWLINE_HOME: home };
  delete env.NODE_OPTIONS;
  delete env.FLOWLINE_RETENTION_DAYS;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: path.dirname(home), env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    proc.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    proc.on("error", reject);
    proc.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Control characters a terminal acts on: C0 but the line feed, DEL, C1. */
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function assertInert(r: Result, what: string): void {
  const shown = JSON.stringify(r);
  assert.equal(r.code, 0, `${what}: ${shown}`);
  assert.doesNotMatch(r.stdout, TERMINAL_CONTROL, `${what}: stdout ${shown}`);
  assert.doesNotMatch(r.stderr, TERMINAL_CONTROL, `${what}: stderr ${shown}`);
}

describe("CLI listings escape control characters in stored data", function () {
  this.timeout(60_000);
  let h: HostileHome;
  before(() => {
    ensureBuilt();
    h = hostileHome();
    // A second run whose id starts like the first (so a short id is ambiguous, and the error names both),
    // and a line the store cannot apply, whose warning quotes the state type it was given.
    const twin = `${IDS.flowRun.slice(0, -1)}1`;
    const more = [
      { e: "flow_run", id: twin, name: `twin${ESC.title}`, flowName: "f", parameters: {}, tags: [], created: T, expectedStartTime: T, pid: 1 },
      { e: "state", kind: "flow", id: twin, type: `Running${ESC.c1}`, name: "x", ts: T },
      { e: "close", ts: T },
    ];
    fs.writeFileSync(path.join(journalDir(h.home), "1-twin.ndjson"), more.map((e) => JSON.stringify(e)).join("\n") + "\n");
  });
  after(() => h.cleanup());

  it("runs ls and runs inspect show names, states, parameters and log lines with C escapes", async () => {
    const ls = await cli(["runs", "ls"], h.home);
    assertInert(ls, "runs ls");
    // The first command folds the journals; the store's warning about the bad line is escaped too.
    assert.match(ls.stderr, /^flowline: warning: Skipped 1 malformed line.*unknown state type "Running\\u009b2J"/m, ls.stderr);
    // The whole name, quoted as git quotes a path: ESC as \033, BEL as \a, CR as \r, C1 CSI as \u009b.
    assert.ok(ls.stdout.includes(String.raw`"evil\033[2J\033[H\033]0;pwned\a\033]52;c;cHduZWQ=\a\u009b2J\177\rFAKErun"`), ls.stdout);
    assert.ok(ls.stdout.includes(String.raw`"Failed\033]0;pwned\a"`), ls.stdout);

    const inspect = await cli(["runs", "inspect", IDS.flowRun], h.home);
    assertInert(inspect, "runs inspect");
    const out = inspect.stdout;
    assert.match(out, /^Flow run {3}"evil\\033\[2J/m);
    assert.ok(out.includes(String.raw`— "boom\033]52;c;cHduZWQ=\a\n![seen](`), out);
    assert.ok(out.includes(String.raw`"task\u009b2J\033]0;pwned\a`), out);
    assert.ok(out.includes(String.raw`"Done\033]52;c;cHduZWQ=\a"`), out);
    assert.ok(out.includes(String.raw`Parameters "{\"note\":\"p\\u001b[2J`), out);
    // A log message keeps its own lines; the controls inside them are escaped.
    assert.ok(out.includes(`line one${String.raw`\033]0;pwned\a`}\nline two${String.raw`\u009b2J`}`), out);
    assert.ok(out.includes(String.raw`"INFO\033[2J\033[H"`), out);
  });

  it("a one-line error that names stored runs shows their control characters as escapes", async () => {
    const ambiguous = await cli(["runs", "inspect", IDS.flowRun.slice(0, 8)], h.home);
    assert.equal(ambiguous.code, 2, JSON.stringify(ambiguous));
    assert.doesNotMatch(ambiguous.stderr, TERMINAL_CONTROL, ambiguous.stderr);
    assert.match(ambiguous.stderr, /matches more than one flow run: .*\(twin\\033\]0;pwned\\a\)/, ambiguous.stderr);
  });

  it("artifacts ls, inspect and rm show keys, descriptions, data and table cells with C escapes", async () => {
    const ls = await cli(["artifacts", "ls", "--all"], h.home);
    assertInert(ls, "artifacts ls");
    assert.ok(ls.stdout.includes(String.raw`"evil-key\033[2J\033[H"`), ls.stdout);

    const byKey = await cli(["artifacts", "inspect", `evil-key${ESC.clear}`], h.home);
    assertInert(byKey, "artifacts inspect <key>");
    assert.ok(byKey.stdout.includes(String.raw`    desc\033]0;pwned\a ![seen]`), byKey.stdout);
    assert.ok(byKey.stdout.includes(String.raw`    # Report\033]52;c;cHduZWQ=\a`), byKey.stdout);

    const table = await cli(["artifacts", "inspect", "--id", IDS.table], h.home);
    assertInert(table, "artifacts inspect --id");
    assert.ok(table.stdout.includes(String.raw`"col\033[2J\033[H"`), table.stdout);
    assert.ok(table.stdout.includes(String.raw`"cell\033]52;c;cHduZWQ=\a"`), table.stdout);
    assert.ok(table.stdout.includes(String.raw`"\u009b2Jx"`), table.stdout);

    const prune = await cli(["prune", "--older-than", "100000", "--dry-run"], h.home);
    assertInert(prune, "prune --dry-run");

    const rm = await cli(["artifacts", "rm", "--id", IDS.markdown], h.home);
    assertInert(rm, "artifacts rm");
    assert.ok(rm.stdout.includes(String.raw`of '"evil-key\033[2J\033[H"'`), rm.stdout);
  });

  it("--json stays valid JSON, escapes DEL and C1 as well as C0, and gives back the stored text exactly", async () => {
    for (const args of [["runs", "ls", "--json"], ["runs", "inspect", IDS.flowRun, "--json"], ["artifacts", "ls", "--all", "--json"], ["artifacts", "inspect", "--id", IDS.table, "--json"]]) {
      const r = await cli(args, h.home);
      assertInert(r, args.join(" "));
      assert.doesNotThrow(() => JSON.parse(r.stdout), args.join(" "));
    }
    const runs = JSON.parse((await cli(["runs", "ls", "--json"], h.home)).stdout) as { id: string; name: string }[];
    assert.equal(runs.find((r) => r.id === IDS.flowRun)?.name, `evil${ALL_ESC}run`);
    const detail = JSON.parse((await cli(["runs", "inspect", IDS.flowRun, "--json"], h.home)).stdout) as { logs: { message: string }[] };
    assert.equal(detail.logs[0].message, `line one${ESC.title}\nline two${ESC.c1}`);
    const [t] = JSON.parse((await cli(["artifacts", "inspect", "--id", IDS.table, "--json"], h.home)).stdout) as { data: { rows: string[][] } }[];
    assert.deepEqual(t.data.rows, [[`cell${ESC.clipboard}`], [`${ESC.c1}x`]]);
  });
});
