import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseParams } from "../../src/cli/args";
import { cli, ensureBuilt, show, summary, tempDir, workspace } from "./helpers";

// Hostile input from a flow and from the command line. Rendering (script tags, event handlers, javascript:
// and data: URLs, SVG with script, in markdown, table cells and descriptions) is covered by
// test/webview/hostile.test.ts, which renders them in a real browser and checks nothing ran; here the
// engine, store and CLI side: every input has a defined outcome, a clear error or a safe store, and
// nothing runs, pollutes a prototype, or is written outside its folder.

describe("faults: hostile input (engine, store, CLI)", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  let tried = 0;
  let executed = 0;
  before(ensureBuilt);
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    summary("hostile-input", { hostileInputsTried: tried, inputsThatExecutedAnything: executed });
  });

  it("a flow trying images outside the workspace, deep values, a 50 MB table, bad keys and escaping storage keys", async () => {
    const dir = workspace("hostile", "hostile.ts");
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, ".flowline", "storage"), { recursive: true });
    const params = '{"p":{"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}}}}';
    const res = await cli(["run", "hostile.ts", "--params", params, "--json"], dir);
    assert.equal(res.code, 0, show(res));
    assert.equal(JSON.parse(res.stdout).result, "survived");
    const o = JSON.parse(fs.readFileSync(path.join(dir, "outcomes.json"), "utf8")) as Record<string, string>;
    tried += Object.keys(o).length + 1;
    if (o.pollutedAfterParams !== "undefined" || o.pollutedAfterTables !== "undefined") executed++;
    assert.equal(o.pollutedAfterParams, "undefined");
    assert.equal(o.pollutedAfterTables, "undefined");
    for (const k of ["imageOutside", "imageAbsolute"]) assert.match(o[k], /^error ArtifactError: .*outside the workspace/);
    assert.match(o.imageSymlink, /^error ArtifactError: .*is a link to .*outside the workspace/);
    // Decided: a 50 MB table is stored (no size limit); the run goes on.
    assert.match(o.table50MB, /^ok /);
    // 10,000 levels: a worded error, the flow process survives and nothing is stored.
    assert.match(o.deepTable, /^error ArtifactError: .*nested too deeply/);
    assert.match(o.deepMarkdownDescription, /^error ArtifactError/);
    for (const k of ["keyProto", "keyUnicode", "keyControl", "keyNewline"]) assert.match(o[k], /^error ArtifactError: Artifact key .* must only contain lowercase letters, numbers, and dashes/);
    assert.match(o.tableProtoColumn, /^ok /);
    assert.match(o.keyDotDot, /^error StorageKeyError: .*"\.\."/);
    assert.match(o.keyAbsolute, /^error StorageKeyError: .*absolute path/);
    assert.match(o.keyParamDotDot, /^error StorageKeyError: .*rendered to/);
    assert.match(o.keySymlink, /^error StorageKeyError: .*symbolic link/);
    assert.match(o.keyTooLong, /^error ArtifactError: Artifact key "k{20}…" is 10000 characters long; a key holds at most 255/);
    assert.match(o.storageKey10k, /^error StorageKeyError: The result storage key "s{40}…" \(10000 characters\) has a name of 10000 bytes/);
    // Nothing written outside the storage folder.
    assert.deepEqual(fs.readdirSync(path.join(dir, "outside-target")), []);
    assert.equal(fs.existsSync(path.join(dir, ".flowline", "escape.json")), false);
    assert.equal(fs.existsSync(path.join(dir, "escape.json")), false);
  });

  it("--params with __proto__ does not pollute the CLI's prototypes", () => {
    tried++;
    const v = parseParams('{"__proto__":{"polluted":1},"a":{"__proto__":{"polluted":2}}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });

  it("a thrown Proxy whose traps all throw: the task run and the flow run end Failed (exit 1), not Crashed, and no trap runs", async () => {
    const dir = workspace("proxy", "throws-proxy.ts");
    dirs.push(dir);
    for (const flow of ["viaTask", "direct"]) {
      tried++;
      const res = await cli(["run", `throws-proxy.ts:${flow}`, "--json"], dir);
      assert.equal(res.code, 1, show(res));
      const out = JSON.parse(res.stdout) as { flowRun: { state: string; stateMessage: string }; taskRuns: Array<{ state: string }> };
      assert.equal(out.flowRun.state, "Failed", show(res));
      assert.ok(out.taskRuns.every((t) => t.state === "Failed"), show(res));
      assert.match(res.stderr, /a Proxy object/);
    }
    const traps = fs.existsSync(path.join(dir, "traps-run.txt")) ? fs.readFileSync(path.join(dir, "traps-run.txt"), "utf8") : "";
    if (traps !== "") executed++;
    assert.equal(traps, "", "Flowline ran none of the Proxy's traps");
  });

  it("--param __proto__=… and parameters nested 5,000 deep: one clear line, exit 2, nothing run", async () => {
    const dir = workspace("params", "small.ts");
    dirs.push(dir);
    let deep = "1";
    for (let i = 0; i < 5000; i++) deep = `[${deep}]`;
    for (const [param, message] of [["__proto__={\"polluted\":1}", /"__proto__" cannot be a parameter name/], [`rows=${deep}`, /nested more than 100 levels deep/]] as const) {
      tried++;
      const res = await cli(["run", "small.ts", "--param", param], dir, {}, 30_000);
      assert.equal(res.code, 2, show(res));
      assert.equal(res.stderr.trimEnd().split("\n").length, 1, show(res));
      assert.match(res.stderr, message);
    }
    assert.equal(fs.existsSync(path.join(dir, ".flowline", "flowline.db")), false, "no run was recorded");
  });

  it("a build-cache entry planted in the workspace's .flowline runs nothing", async () => {
    tried++;
    const dir = workspace("planted", "small.ts");
    dirs.push(dir);
    const cache = tempDir("planted-cache");
    dirs.push(cache);
    const file = path.join(dir, "small.ts");
    // The entry Flowline 1.0 would have used for this file: no inputs to check, code that leaves a mark.
    const id = createHash("sha256").update(`1.0.0\0${file}`).digest("hex").slice(0, 24);
    const code = `require("node:fs").writeFileSync("planted-ran.txt", "x"); const { flow } = require("flowline"); exports.small = flow({ name: "small" }, async () => "planted");`;
    fs.mkdirSync(path.join(dir, ".flowline", "cache", "build"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".flowline", "cache", "build", `${id}.json`), JSON.stringify({ version: process.version, inputs: [], code }));
    const res = await cli(["run", "small.ts", "--json"], dir, { FLOWLINE_CACHE_DIR: cache });
    assert.equal(res.code, 0, show(res));
    const ran = fs.existsSync(path.join(dir, "planted-ran.txt"));
    if (ran) executed++;
    assert.equal(ran, false);
    assert.equal(JSON.parse(res.stdout).result, "ok");
  });

  it("a flow file that throws at import: one clear line, exit 2", async () => {
    tried++;
    const dir = workspace("throws", "throws-at-import.ts");
    dirs.push(dir);
    const res = await cli(["run", "throws-at-import.ts"], dir);
    assert.equal(res.code, 2, show(res));
    const lines = res.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, show(res));
    assert.match(lines[0], /throws-at-import\.ts.*threw while loading: .*boom at import/);
  });
});
