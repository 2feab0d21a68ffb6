import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { addToGitignore, gitignoreLine } from "../../src/extension/gitignore-offer";
import { TypesSetUp } from "../../src/extension/types-setup";
import { fakeContext, fakeVscode } from "../fake-vscode";

// Types without a reload: setting the types up restarts the TypeScript server, so a file opened before
// ends with no "Cannot find module 'flowline'". And in a git workspace, .flowline/ is offered for
// .gitignore with one click, never added without it.

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE = path.join(ROOT, "dist", "types");

describe("types without a reload, and .flowline/ for .gitignore", function () {
  let ws: string;
  beforeEach(() => {
    ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "flowline-types-reload-")));
  });
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  function setUp(answer?: string) {
    const fake = fakeVscode({ workspaceFolder: ws, respond: (m) => (m.actions.includes("Add to .gitignore") ? answer : undefined) });
    const types = new TypesSetUp(fake.vscode, fakeContext(ROOT), { home: () => path.join(ws, ".flowline"), output: { info() {}, warn() {} } as never, sourceDir: SOURCE });
    return { fake, types };
  }
  const restarts = (fake: ReturnType<typeof fakeVscode>) => fake.calls.filter((c) => c.api === "executeCommand" && c.args[0] === "typescript.restartTsServer").length;

  it("restarts the TypeScript server when it copies the types or maps them, and not when nothing changed", async () => {
    const { fake, types } = setUp();
    await types.run({ quiet: true });
    assert.equal(restarts(fake), 1);
    await types.run({ quiet: true });
    assert.equal(restarts(fake), 1, "already set up: no restart");
  });

  it("in a git workspace, offers .flowline/ for .gitignore, and adds it only on the click", async () => {
    fs.mkdirSync(path.join(ws, ".git"));
    fs.writeFileSync(path.join(ws, ".gitignore"), "node_modules/");
    const declined = setUp(undefined);
    await declined.types.run({ quiet: true });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(declined.fake.messages.map((m) => m.actions), [["Add to .gitignore"]]);
    assert.equal(fs.readFileSync(path.join(ws, ".gitignore"), "utf8"), "node_modules/", "never edited without the click");

    const accepted = setUp("Add to .gitignore");
    await accepted.types.run({ quiet: true });
    await new Promise((r) => setImmediate(r));
    assert.equal(fs.readFileSync(path.join(ws, ".gitignore"), "utf8"), "node_modules/\n/.flowline/\n");
    assert.equal(gitignoreLine(path.join(ws, ".flowline")), undefined, "covered now: not offered again");
  });

  it("offers nothing outside a repository or when .gitignore already covers the home", () => {
    assert.equal(gitignoreLine(path.join(ws, ".flowline")), undefined);
    fs.mkdirSync(path.join(ws, ".git"));
    for (const line of [".flowline", ".flowline/", "/.flowline/", "**/.flowline"]) {
      fs.writeFileSync(path.join(ws, ".gitignore"), `dist/\n${line}\n`);
      assert.equal(gitignoreLine(path.join(ws, ".flowline")), undefined, line);
    }
    fs.rmSync(path.join(ws, ".gitignore"));
    const offer = gitignoreLine(path.join(ws, "sub", ".flowline"))!;
    assert.equal(offer.line, "/sub/.flowline/");
    addToGitignore(offer);
    assert.equal(fs.readFileSync(path.join(ws, ".gitignore"), "utf8"), "/sub/.flowline/\n");
  });
});
