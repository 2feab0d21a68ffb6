// The edges of `flowline run`, with the real CLI: what a flow prints reaches the terminal whole, and
// parameters that cannot be a flow's input are refused at once with one line and exit 2.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";

const FIXTURES = path.join(__dirname, "..", "fixtures");

describe("cli: output and input at the edges", function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  before(ensureBuilt);
  after(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  function workspace(files: Record<string, string>): string {
    const dir = tempDir("edges");
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  }

  it("1 MB a flow prints, and its last line, reach the terminal whole, also when the flow calls process.exit", async () => {
    const loud = (end: string) => `import { flow } from "flowline";
export const loud = flow({ name: "loud" }, async () => {
  const line = "x".repeat(1023) + "\\n";
  for (let i = 0; i < 1024; i++) process.stdout.write(line);
  console.log("LAST LINE");
  ${end}
});
`;
    const dir = workspace({ "returns.ts": loud(""), "exits.ts": loud("process.exit(3);") });
    for (const [file, code] of [["returns.ts", 0], ["exits.ts", 1]] as const) {
      const res = await cli(["run", file], dir);
      assert.equal(res.code, code, show(res));
      const printed = res.stderr.split("\n").filter((l) => /^x+$/.test(l));
      assert.equal(printed.length, 1024, `${file}: ${printed.length} of 1024 lines arrived`);
      assert.ok(printed.every((l) => l.length === 1023));
      assert.match(res.stderr, /\nLAST LINE\n/);
    }
  });

  it("parameters nested 5,000 deep: one clear line and exit 2, at once", async () => {
    const dir = workspace({ "params.ts": fs.readFileSync(path.join(FIXTURES, "params.ts"), "utf8") });
    let deep = "1";
    for (let i = 0; i < 5000; i++) deep = `{"a":${deep}}`;
    for (const args of [["--params", `{"o":${deep}}`], ["--param", `o=${deep}`]]) {
      const res = await cli(["run", "params.ts", ...args], dir, {}, 30_000);
      assert.equal(res.code, 2, show(res));
      const lines = res.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, show(res));
      assert.match(lines[0], /^flowline: parameter "o" is nested more than 100 levels deep/);
    }
  });

  it("--param __proto__=… is refused as --params refuses it, and pollutes nothing", async () => {
    const dir = workspace({ "params.ts": fs.readFileSync(path.join(FIXTURES, "params.ts"), "utf8") });
    for (const args of [["--param", '__proto__={"n":5}'], ["--params", '{"__proto__":{"n":5}}']]) {
      const res = await cli(["run", "params.ts", ...args, "--json"], dir);
      assert.equal(res.code, 2, show(res));
      assert.match(res.stderr, /^flowline: .*"__proto__"/, show(res));
      assert.equal(res.stdout, "");
    }
  });
});
