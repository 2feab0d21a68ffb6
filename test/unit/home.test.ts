// Where the home is: found as git finds `.git`, the same way by the CLI and the extension, so a terminal
// run from a repository's root shows up in a window opened on one of its folders. Real folders on disk;
// the CLI cases spawn bin/flowline.js.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveHomeFolder } from "../../src/extension/settings";
import { findHome } from "../../src/shared/home";
import { ensureBuilt } from "./helpers/build";

const REPO = path.resolve(__dirname, "..", "..");
const CLI = path.join(REPO, "bin", "flowline.js");

describe("the Flowline home, found as git finds .git", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "flowline-home-")));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A repository: `.git` at its root, `examples/` with a flow file. */
  function repository(): { root: string; examples: string } {
    const root = path.join(dir, "repo");
    fs.mkdirSync(path.join(root, ".git"), { recursive: true });
    fs.mkdirSync(path.join(root, "examples"));
    fs.copyFileSync(path.join(REPO, "test", "fixtures", "hello.ts"), path.join(root, "examples", "hello.ts"));
    return { root, examples: path.join(root, "examples") };
  }

  it("takes the nearest existing .flowline above the flow file's folder", () => {
    const { root, examples } = repository();
    fs.mkdirSync(path.join(examples, ".flowline"));
    const choice = findHome({ start: examples, root, rootLabel: "the current folder", env: {} });
    assert.equal(choice.home, path.join(examples, ".flowline"));
    assert.match(choice.reason, /nearest existing \.flowline/);
  });

  it("walks up past folders without one to the repository's .flowline", () => {
    const { root, examples } = repository();
    fs.mkdirSync(path.join(root, ".flowline"));
    const deeper = path.join(examples, "a", "b");
    fs.mkdirSync(deeper, { recursive: true });
    assert.equal(findHome({ start: deeper, root: deeper, rootLabel: "x", env: {} }).home, path.join(root, ".flowline"));
  });

  it("with no .flowline yet, uses the git repository's root, wherever the command started", () => {
    const { root, examples } = repository();
    const fromRoot = findHome({ start: examples, root, rootLabel: "the current folder", env: {} });
    const fromWindow = findHome({ start: examples, root: examples, rootLabel: "the workspace folder", env: {} });
    assert.equal(fromRoot.home, path.join(root, ".flowline"));
    assert.equal(fromWindow.home, fromRoot.home);
    assert.match(fromRoot.reason, /root of the git repository/);
  });

  it("never walks above the repository: a .flowline outside it is not taken", () => {
    const { root, examples } = repository();
    fs.mkdirSync(path.join(dir, ".flowline")); // like a stray ~/.flowline
    assert.equal(findHome({ start: examples, root: examples, rootLabel: "x", env: {} }).home, path.join(root, ".flowline"));
  });

  it("outside a repository, walks up to the given root and falls back to it", () => {
    const project = path.join(dir, "project");
    const sub = path.join(project, "flows");
    fs.mkdirSync(sub, { recursive: true });
    const fresh = findHome({ start: sub, root: project, rootLabel: "the current folder", env: {} });
    assert.equal(fresh.home, path.join(project, ".flowline"));
    assert.match(fresh.reason, /no git repository: the current folder/);
    fs.mkdirSync(path.join(dir, ".flowline")); // above the root: not taken
    assert.equal(findHome({ start: sub, root: project, rootLabel: "x", env: {} }).home, path.join(project, ".flowline"));
  });

  it("$FLOWLINE_HOME still wins, relative to the root", () => {
    const { root, examples } = repository();
    fs.mkdirSync(path.join(examples, ".flowline"));
    const choice = findHome({ start: examples, root, rootLabel: "x", env: { FLOWLINE_HOME: "data" } });
    assert.deepEqual(choice, { home: path.join(root, "data"), reason: "$FLOWLINE_HOME is set" });
  });

  it("the extension's window on a repository's folder uses the same home as the CLI", () => {
    const { root, examples } = repository();
    assert.equal(resolveHomeFolder({ home: "" }, examples, {}), path.join(root, ".flowline"));
    fs.mkdirSync(path.join(examples, ".flowline"));
    assert.equal(resolveHomeFolder({ home: "" }, examples, {}), path.join(examples, ".flowline"));
    assert.equal(resolveHomeFolder({ home: "mine" }, examples, {}), path.join(examples, "mine"), "the setting wins");
  });

  describe("the CLI", function () {
    this.timeout(120_000);
    before(() => ensureBuilt());
    const env = (): NodeJS.ProcessEnv => {
      const e = { ...process.env };
      delete e.FLOWLINE_HOME;
      delete e.FLOWLINE_DIST;
      delete e.NODE_OPTIONS;
      return e;
    };

    it("`flowline home` prints the home a run of that file would use, and why", () => {
      const { root } = repository();
      const r = spawnSync(process.execPath, [CLI, "home", "examples/hello.ts"], { cwd: root, env: env(), encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${path.join(root, ".flowline")}\n  (no .flowline yet: the root of the git repository holding ${path.join(root, "examples")})\n`);
    });

    it("a run from the repository's root lands in the .flowline the window on examples/ already uses", () => {
      const { root, examples } = repository();
      fs.mkdirSync(path.join(examples, ".flowline")); // the window on examples/ made it
      const r = spawnSync(process.execPath, [CLI, "run", "examples/hello.ts"], { cwd: root, env: env(), encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.existsSync(path.join(examples, ".flowline", "storage", "hello__foo.json")), "the result is in examples/.flowline");
      assert.ok(!fs.existsSync(path.join(root, ".flowline")), "no second home at the repository's root");
      const ls = spawnSync(process.execPath, [CLI, "runs", "ls", "--json"], { cwd: examples, env: env(), encoding: "utf8" });
      assert.equal(ls.status, 0, ls.stderr);
      assert.equal(JSON.parse(ls.stdout).length, 1, "runs ls from examples/ sees the run");
    });

    it("`flowline home` with two files is a one-line usage error", () => {
      const r = spawnSync(process.execPath, [CLI, "home", "a.ts", "b.ts"], { cwd: dir, env: env(), encoding: "utf8" });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^flowline: home takes at most one flow file\. Usage: flowline home \[<file>\]\n$/);
    });
  });
});
