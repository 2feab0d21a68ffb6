// What a flow file runs is decided by its source alone: the compiled-code cache lives in the user's cache
// folder (FLOWLINE_CACHE_DIR here, a temp folder), never in the workspace, and an entry is used only while
// the bytes of every file that went into it are unchanged. Real flow processes through the runner API.
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFlowProcess } from "../../src/runner/run";
import { ensureBuilt } from "./helpers/build";

const dirs: string[] = [];

function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `flowline-build-${tag}-`));
  dirs.push(dir);
  return dir;
}

const flowSource = (value: string) => `import { flow } from "flowline";\nexport const f = flow({ name: "f" }, async () => ${JSON.stringify(value)});\n`;

// Compiled code that runs something else than its flow file says, and leaves a mark when it does.
const HIDDEN_CODE = `const { flow } = require("flowline");
require("node:fs").writeFileSync("hidden-ran.txt", "the hidden code ran");
exports.f = flow({ name: "f" }, async () => "hidden");
`;

async function runFlow(dir: string, env: Record<string, string>): Promise<unknown> {
  const result = await startFlowProcess({ file: path.join(dir, "flow.ts"), home: path.join(dir, ".flowline"), cwd: dir, env: { NODE_OPTIONS: "", ...env } }).done;
  assert.equal(result.exitCode, 0, result.message ?? result.state?.message);
  return result.result;
}

function entries(cacheDir: string): string[] {
  const dir = path.join(cacheDir, "build");
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => path.join(dir, f)) : [];
}

describe("runner: the build cache", function () {
  this.timeout(60_000);
  before(function () {
    this.timeout(120_000);
    ensureBuilt();
  });
  after(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps compiled code in the user's cache folder, not in the workspace, and reuses it while the source is unchanged", async () => {
    const dir = tempDir("ws");
    const cache = tempDir("cache");
    fs.writeFileSync(path.join(dir, "flow.ts"), flowSource("real"));
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "real");
    assert.equal(fs.existsSync(path.join(dir, ".flowline", "cache")), false, "nothing cached inside the workspace");
    const [entry] = entries(cache);
    assert.ok(entry, "an entry in FLOWLINE_CACHE_DIR/build");
    // The entry is trusted while its inputs are unchanged: code put there is what the next run runs.
    const doc = JSON.parse(fs.readFileSync(entry, "utf8")) as { code: string };
    fs.writeFileSync(entry, JSON.stringify({ ...doc, code: doc.code.replace('"real"', '"from the cache"') }));
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "from the cache");
  });

  it("keeps at most 256 entries, dropping the least recently used", async () => {
    const dir = tempDir("ws");
    const cache = tempDir("cache");
    fs.writeFileSync(path.join(dir, "flow.ts"), flowSource("real"));
    const build = path.join(cache, "build");
    fs.mkdirSync(build);
    const old = new Date("2026-01-01T00:00:00Z");
    for (let i = 0; i < 300; i++) {
      fs.writeFileSync(path.join(build, `old-${i}.json`), "{}");
      fs.utimesSync(path.join(build, `old-${i}.json`), old, new Date(old.getTime() + i * 1000));
    }
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "real");
    const left = fs.readdirSync(build);
    assert.equal(left.length, 256);
    assert.equal(left.filter((f) => !f.startsWith("old-")).length, 1, "the new entry stays");
    assert.ok(!left.includes("old-44.json") && left.includes("old-45.json"), "the oldest 45 went");
  });

  it("without FLOWLINE_CACHE_DIR the cache is under $XDG_CACHE_HOME/flowline", async () => {
    const dir = tempDir("ws");
    const xdg = tempDir("xdg");
    fs.writeFileSync(path.join(dir, "flow.ts"), flowSource("real"));
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: "", XDG_CACHE_HOME: xdg }), "real");
    assert.equal(entries(path.join(xdg, "flowline")).length, 1);
  });

  it("a planted .flowline/cache/build entry with no inputs runs nothing, before or after the flow file is edited", async () => {
    const dir = tempDir("ws");
    const cache = tempDir("cache");
    const file = path.join(dir, "flow.ts");
    fs.writeFileSync(file, flowSource("real"));
    // Where Flowline 1.0 looked for the entry of this file, and the entry a hostile workspace ships.
    const id = createHash("sha256").update(`1.0.0\0${file}`).digest("hex").slice(0, 24);
    const planted = { version: process.version, inputs: [], code: HIDDEN_CODE };
    fs.mkdirSync(path.join(dir, ".flowline", "cache", "build"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".flowline", "cache", "build", `${id}.json`), JSON.stringify(planted));
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "real");
    // The same entry in the user's cache folder, with its list of inputs emptied, is not trusted either.
    for (const entry of entries(cache)) fs.writeFileSync(entry, JSON.stringify({ ...JSON.parse(fs.readFileSync(entry, "utf8")), inputs: [], code: HIDDEN_CODE }));
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "real");
    fs.writeFileSync(file, flowSource("edited"));
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "edited");
    assert.equal(fs.existsSync(path.join(dir, "hidden-ran.txt")), false);
  });

  it("an edit that keeps the size and the modification time of a file still runs the new code", async () => {
    const dir = tempDir("ws");
    const cache = tempDir("cache");
    const file = path.join(dir, "flow.ts");
    const lib = path.join(dir, "lib.ts");
    fs.writeFileSync(lib, `export const word = "AAAA";\n`);
    fs.writeFileSync(file, `import { flow } from "flowline";\nimport { word } from "./lib";\nexport const f = flow({ name: "f" }, async () => word + "-1");\n`);
    // A whole second, which every file system stores exactly, so the edits below can put it back.
    const when = new Date("2026-01-01T00:00:00Z");
    for (const target of [lib, file]) fs.utimesSync(target, when, when);
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "AAAA-1");
    for (const [target, from, to] of [[lib, "AAAA", "BBBB"], [file, '"-1"', '"-2"']] as const) {
      const before = fs.statSync(target);
      fs.writeFileSync(target, fs.readFileSync(target, "utf8").replace(from, to));
      fs.utimesSync(target, when, when);
      assert.equal(fs.statSync(target).size, before.size);
      assert.equal(fs.statSync(target).mtimeMs, before.mtimeMs);
    }
    assert.equal(await runFlow(dir, { FLOWLINE_CACHE_DIR: cache }), "BBBB-2");
  });
});
