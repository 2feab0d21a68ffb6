// Flow files load like ordinary modules (issue 15, item 5): a static import of an ESM-only package from
// the flow's own node_modules, and a top-level await. The real CLI and flow process, real packages on disk.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";

describe("cli: flow files load like ordinary modules", function () {
  this.timeout(120_000);
  let dir: string;
  before(ensureBuilt);
  beforeEach(() => {
    dir = tempDir("esm-load");
    const pkg = path.join(dir, "node_modules", "slugs");
    fs.mkdirSync(pkg, { recursive: true });
    // Only an `import` condition: Node 20's require cannot load it.
    fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "slugs", version: "1.0.0", type: "module", exports: { ".": { import: "./index.js" } } }));
    fs.writeFileSync(path.join(pkg, "index.js"), `export const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");\n`);
    fs.writeFileSync(
      path.join(dir, "report.ts"),
      `import { flow, task } from "flowline";
import { slug } from "slugs";
import { readFile } from "node:fs/promises";

const settings = JSON.parse(await readFile(new URL("./settings.json", import.meta.url), "utf8")) as { title: string };

const makeSlug = task(async (title: string) => slug(title));

export const report = flow(async ({ suffix = "Q3" }: { suffix?: string }) => {
  if (suffix === "fail") throw new Error("bad suffix");
  return { slug: await makeSlug(\`\${settings.title} \${suffix}\`), url: import.meta.url };
});
`,
    );
    fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ title: "Sales Report" }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("imports an ESM-only package and awaits at the top level, again from the build cache, leaving no file behind", async () => {
    const env = { FLOWLINE_CACHE_DIR: path.join(dir, "cache") };
    for (const attempt of ["compiled", "cached"]) {
      const res = await cli(["run", "report.ts", "--json"], dir, env);
      assert.equal(res.code, 0, `${attempt}: ${show(res)}`);
      const out = JSON.parse(res.stdout) as { result: { slug: string; url: string } };
      assert.deepEqual(out.result, { slug: "sales-report-q3", url: `file://${path.join(dir, "report.ts")}` });
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), [".flowline", "cache", "node_modules", "report.ts", "settings.json"]);
  });

  it("a failure in such a file points at the user's line", async () => {
    const res = await cli(["run", "report.ts", "--param", "suffix=fail"], dir);
    assert.equal(res.code, 1, show(res));
    assert.match(res.stderr, /report\.ts:10:\d+/);
  });
});
