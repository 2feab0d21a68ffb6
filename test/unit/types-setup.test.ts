import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureConfigMapping, flowlineResolves, importsFlowline, installedTypesVersion, mappingPath, setUpTypes, typesDir } from "../../src/extension/types-setup";

// "Flowline: Set Up Types for flowline": copy dist/types into <home>/types/flowline and map "flowline".

const ROOT = path.resolve(__dirname, "..", "..");
const SOURCE = path.join(ROOT, "dist", "types");

describe("extension: types for \"flowline\"", function () {
  let ws: string;
  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-types-"));
  });
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  before(function () {
    if (!fs.existsSync(path.join(SOURCE, "index.d.ts"))) this.skip(); // `npm run build` makes dist/types
  });

  it("creates tsconfig.json and copies the types when the workspace has no config", () => {
    const home = path.join(ws, ".flowline");
    const r = setUpTypes({ sourceDir: SOURCE, home, root: ws, version: "1.2.3" });
    assert.equal(r.config.kind, "created");
    assert.ok(fs.existsSync(path.join(typesDir(home), "index.d.ts")));
    assert.equal(installedTypesVersion(home), "1.2.3");
    const config = JSON.parse(fs.readFileSync(path.join(ws, "tsconfig.json"), "utf8"));
    assert.deepEqual(config, {
      compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, lib: ["ES2022", "DOM"], skipLibCheck: true, paths: { flowline: ["./.flowline/types/flowline/index.d.ts"] } },
    });
    fs.writeFileSync(path.join(ws, "flow.ts"), 'import { flow } from "flowline";\n');
    assert.ok(flowlineResolves(path.join(ws, "flow.ts")));
  });

  it("respects a home set elsewhere (flowline.home) in the mapping", () => {
    const home = path.join(ws, "data", "fl");
    setUpTypes({ sourceDir: SOURCE, home, root: ws, version: "1" });
    const config = JSON.parse(fs.readFileSync(path.join(ws, "tsconfig.json"), "utf8"));
    assert.deepEqual(config.compilerOptions.paths.flowline, ["./data/fl/types/flowline/index.d.ts"]);
    assert.equal(mappingPath(path.join(ws, "src"), home), "../data/fl/types/flowline/index.d.ts");
  });

  it("adds the mapping to an existing tsconfig.json, keeping its comments and settings", () => {
    const text = '{\n  // my settings\n  "compilerOptions": {\n    "strict": false, /* keep */\n    "paths": { "@app/*": ["src/*"] }\n  },\n  "include": ["src"],\n}\n';
    fs.writeFileSync(path.join(ws, "tsconfig.json"), text);
    const out = ensureConfigMapping(ws, path.join(ws, ".flowline"));
    assert.equal(out.kind, "updated");
    const after = fs.readFileSync(path.join(ws, "tsconfig.json"), "utf8");
    assert.match(after, /\/\/ my settings/);
    assert.match(after, /\/\* keep \*\//);
    assert.match(after, /"@app\/\*": \[\s*"src\/\*"\s*\]/);
    assert.match(after, /"flowline": \[\s*"\.\/\.flowline\/types\/flowline\/index\.d\.ts"\s*\]/);
    assert.match(after, /"include": \["src"\]/);
    // A second time changes nothing.
    assert.equal(ensureConfigMapping(ws, path.join(ws, ".flowline")).kind, "present");
    assert.equal(fs.readFileSync(path.join(ws, "tsconfig.json"), "utf8"), after);
  });

  it("maps relative to baseUrl, and uses jsconfig.json when that is the config", () => {
    fs.writeFileSync(path.join(ws, "jsconfig.json"), '{ "compilerOptions": { "baseUrl": "src" } }');
    assert.equal(ensureConfigMapping(ws, path.join(ws, ".flowline")).kind, "updated");
    const config = JSON.parse(fs.readFileSync(path.join(ws, "jsconfig.json"), "utf8"));
    assert.deepEqual(config.compilerOptions.paths.flowline, ["../.flowline/types/flowline/index.d.ts"]);
    assert.ok(!fs.existsSync(path.join(ws, "tsconfig.json")));
  });

  it("leaves a config with extends, or one that does not parse, alone and says what to add", () => {
    const ext = '{ "extends": "./base.json" }';
    fs.writeFileSync(path.join(ws, "tsconfig.json"), ext);
    const out = ensureConfigMapping(ws, path.join(ws, ".flowline"));
    assert.equal(out.kind, "manual");
    assert.ok(out.kind === "manual" && out.lines.includes('"flowline": ["./.flowline/types/flowline/index.d.ts"]'));
    assert.equal(fs.readFileSync(path.join(ws, "tsconfig.json"), "utf8"), ext);
    fs.writeFileSync(path.join(ws, "tsconfig.json"), '{ "compilerOptions": { ');
    assert.equal(ensureConfigMapping(ws, path.join(ws, ".flowline")).kind, "manual");
  });

  it("replaces types from another version, and finds whether a file's \"flowline\" resolves", () => {
    const home = path.join(ws, ".flowline");
    setUpTypes({ sourceDir: SOURCE, home, root: ws, version: "0.9.0" });
    fs.writeFileSync(path.join(typesDir(home), "stale.d.ts"), "");
    setUpTypes({ sourceDir: SOURCE, home, root: ws, version: "1.0.0" });
    assert.equal(installedTypesVersion(home), "1.0.0");
    assert.ok(!fs.existsSync(path.join(typesDir(home), "stale.d.ts")));
    fs.rmSync(typesDir(home), { recursive: true });
    assert.equal(flowlineResolves(path.join(ws, "a.ts")), false, "the mapping points at nothing");
    // VS Code's TypeScript does not look above the workspace folder for a config.
    fs.mkdirSync(path.join(ws, "sub"));
    setUpTypes({ sourceDir: SOURCE, home, root: ws, version: "1.0.0" });
    assert.equal(flowlineResolves(path.join(ws, "sub", "a.ts")), true);
    assert.equal(flowlineResolves(path.join(ws, "sub", "a.ts"), path.join(ws, "sub")), false);
  });

  it("recognises files that import flowline", () => {
    assert.ok(importsFlowline('import { flow } from "flowline";'));
    assert.ok(importsFlowline("const { task } = require('flowline');"));
    assert.ok(importsFlowline('await import("flowline")'));
    assert.ok(!importsFlowline('import x from "flowline-extra";'));
    assert.ok(!importsFlowline('import { flow } from "./flowline";'));
  });
});
