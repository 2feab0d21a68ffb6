import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { findFlows, type FoundFlow } from "../../src/extension/flow-finder";
import { tokenize } from "../../src/extension/flow-finder/tokenizer";

// The CodeLens finder reads source statically. These files are the tricky cases: flows must be found
// wherever they are defined, and never inside comments, strings, templates, regular expressions or JSX.

const labels = (flows: FoundFlow[]) => flows.map((f) => f.label);
const lines = (flows: FoundFlow[]) => flows.map((f) => f.line);

describe("flow finder: where flows are defined", () => {
  it("finds an exported flow and puts the lens on its statement", () => {
    const src = `import { flow } from "flowline";\n\nexport const myFlow = flow({ name: "my-flow" }, async () => {});\n`;
    const [f] = findFlows(src, "a.ts");
    assert.deepEqual({ line: f.line, character: f.character, exportName: f.exportName, flowName: f.flowName, target: f.target }, { line: 2, character: 0, exportName: "myFlow", flowName: "my-flow", target: "myFlow" });
  });

  it("names a flow by its function when the options give no name", () => {
    const src = `import { flow } from "flowline";\nflow({ retries: 2 }, async function nightlyEtl() {});\nflow(function* gen() {});`;
    assert.deepEqual(findFlows(src, "a.ts").map((f) => [f.flowName, f.target, f.line]), [["nightlyEtl", "nightlyEtl", 1], ["gen", "gen", 2]]);
  });

  it("follows multi-line calls, type annotations and export lists", () => {
    const src = [
      `import { flow } from "flowline";`,
      `const etl: Flow<[{ day: string }], void> = flow(`,
      `  {`,
      `    name: "etl",`,
      `  },`,
      `  async ({ day = "2024-01-01" }: { day?: string }) => {},`,
      `);`,
      `export { etl as dailyEtl };`,
    ].join("\n");
    const [f] = findFlows(src, "a.ts");
    assert.equal(f.line, 1);
    assert.equal(f.exportName, "dailyEtl");
    assert.equal(f.flowName, "etl");
    assert.deepEqual(f.params.defaults, { day: "2024-01-01" });
  });

  it("understands aliased, namespace, default and require imports", () => {
    const src = [
      `import { task, flow as f } from "flowline";`,
      `import * as fl from "flowline";`,
      `import flowline from "flowline";`,
      `const { flow: g } = require("flowline");`,
      `const lib = require("flowline");`,
      `export const a = f(async () => {});`,
      `export const b = fl.flow(async () => {});`,
      `export const c = flowline.flow(async () => {});`,
      `export const d = g(async () => {});`,
      `export const e = lib.flow(async () => {});`,
      `export const notAFlow = task(async () => {});`,
    ].join("\n");
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["a", "b", "c", "d", "e"]);
  });

  it("finds several flows in order, and flows defined in a template substitution", () => {
    const src = `import { flow } from "flowline";\nexport const one = flow(async () => {});\nconst s = \`x \${flow({ name: "inner" }, async () => 1)} y\`;\nexport default flow({ name: "last" }, async () => {});\n`;
    const flows = findFlows(src, "a.ts");
    assert.deepEqual(labels(flows), ["one", "inner", "last"]);
    assert.deepEqual(lines(flows), [1, 2, 3]);
    assert.equal(flows[2].exportName, "default");
    assert.equal(flows[2].target, "default");
  });

  it("reads CommonJS exports in JavaScript files", () => {
    const src = `const { flow } = require("flowline");\nexports.first = flow(async () => {});\nmodule.exports.second = flow(async () => {});\nconst third = flow(async () => {});\nmodule.exports = { third, fourth: third };\n`;
    assert.deepEqual(findFlows(src, "a.js").map((f) => [f.exportName, f.line]), [["first", 1], ["second", 2], ["fourth", 3]]);
  });

  it("finds nothing without an import from \"flowline\" (lodash's flow is not a flow)", () => {
    assert.deepEqual(findFlows(`import { flow } from "lodash/fp";\nexport const f = flow(a, b);\n// flowline`, "a.ts"), []);
    assert.deepEqual(findFlows(`import type { flow } from "flowline";\nexport const f = flow(async () => {});`, "a.ts"), []);
    assert.deepEqual(findFlows(`export { flow } from "flowline";\nexport const f = flow(async () => {});`, "a.ts"), []);
  });

  it("skips declarations, methods and property accesses named flow", () => {
    const src = [
      `import { flow } from "flowline";`,
      `class A { flow(x: number): void {} }`,
      `const o = { flow() { return 1; } };`,
      `o.flow(1); other?.flow(2);`,
      `function flow2() {}`,
      `export const real = flow(async () => {});`,
      `const picked = cond ? flow({ name: "in-a-ternary" }, async () => {}) : undefined;`,
    ].join("\n");
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["real", "in-a-ternary"]);
  });
});

describe("flow finder: never inside comments, strings, templates, regular expressions or JSX", () => {
  const header = `import { flow } from "flowline";\n`;

  it("ignores comments and strings, escaped quotes included", () => {
    const src = header + [
      `// export const a = flow(async () => {});`,
      `/* export const b = flow(async () => {});`,
      `   */`,
      `const s1 = "flow(async () => {}) \\" flow(";`,
      `const s2 = 'it\\'s flow(async () => {})';`,
      `export const real = flow(async () => {}); // flow(`,
    ].join("\n");
    const flows = findFlows(src, "a.ts");
    assert.deepEqual(labels(flows), ["real"]);
    assert.equal(flows[0].line, 6);
  });

  it("ignores template text, nested templates included", () => {
    const src = header + "const t = `flow(async () => {}) ${`inner flow(`}` + `${1 + 1}`;\nexport const real = flow(async () => {});\n";
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["real"]);
  });

  it("tells regular expressions from division", () => {
    const src = header + [
      "const re = /flow\\(async/g;",
      "const cls = /[/]flow(/;",
      "const ratio = total / count / 2; export const afterDivision = flow(async () => {});",
      "if (ok) x = a.replace(/'/g, '\"'); ",
      "export const real = flow(async () => {});",
    ].join("\n");
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["afterDivision", "real"]);
  });

  it("ignores JSX text and attributes in .tsx and .jsx, apostrophes included", () => {
    const src = header + [
      `const App = () => (`,
      `  <div title="flow(async () => {})">`,
      `    Don't call flow(async () => {}) here: it's text {value /2}`,
      `    <>{items.map((i) => <span key={i}>it's {i}</span>)}</>`,
      `  </div>`,
      `);`,
      `const id = <T,>(x: T) => x;`,
      `export const real = flow(async () => {});`,
    ].join("\n");
    for (const file of ["a.tsx", "a.jsx"]) assert.deepEqual(labels(findFlows(src, file)), ["real"], file);
  });

  it("keeps `<` as a type assertion or comparison in .ts files", () => {
    const src = header + `const n = <number>value;\nif (a < b && c > d) {}\nexport const real = flow(async () => {});\n`;
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["real"]);
  });

  it("recovers from a half-typed file: an unterminated string ends at its line", () => {
    const src = header + `export const a = flow(async () => {});\nconst broken = "no end\nexport const b = flow(async () => {});\nconst t = \`never closed`;
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["a", "b"]);
  });
});

describe("flow finder: parameters and their defaults", () => {
  const one = (body: string, file = "a.ts") => findFlows(`import { flow } from "flowline";\nexport const f = ${body};`, file)[0].params;

  it("reads a destructured object with literal defaults, skipping TypeScript types", () => {
    const p = one(`flow(async ({ n = 1, s = "x", b = false, list = [1, "a"], o = { k: null }, when = new Date(), required }: { n?: number; s?: string; b?: boolean; list?: unknown[]; o?: object; when?: Date; required: string }) => {})`);
    assert.deepEqual(p, { kind: "object", names: ["n", "s", "b", "list", "o", "when", "required"], defaults: { n: 1, s: "x", b: false, list: [1, "a"], o: { k: null } }, open: false });
  });

  it("merges the options' parameters over signature defaults, and the whole argument's default under them", () => {
    const p = one(`flow({ name: "x", parameters: { a: 10 } }, async ({ a = 1, b, c = -2 }: Args = { b: "from-arg", c: 3 }) => {})`);
    assert.deepEqual(p.defaults, { a: 10, b: "from-arg", c: -2 });
  });

  it("reads positional parameters by name, with a rest parameter making it open", () => {
    assert.deepEqual(one(`flow(async function named(day: string, retries = 3, label?: string) {})`), { kind: "positional", names: ["day", "retries", "label"], defaults: { retries: 3 }, open: false });
    assert.equal(one(`flow(async (first: number, ...rest: number[]) => {})`).open, true);
    assert.deepEqual(one(`flow(async () => {})`), { kind: "none", names: [], defaults: {}, open: false });
  });

  it("treats a single plain parameter as an open object, and reads a function declared elsewhere", () => {
    assert.deepEqual(one(`flow(async (opts) => {})`), { kind: "object", names: [], defaults: {}, open: true });
    assert.equal(one(`flow(async opts => {})`).open, true);
    const src = `import { flow } from "flowline";\nasync function load({ table = "users" }) {}\nexport const f = flow(load);`;
    const [f] = findFlows(src, "a.js");
    assert.equal(f.flowName, "load");
    assert.deepEqual(f.params.defaults, { table: "users" });
  });
});

describe("flow finder: speed", () => {
  it("reads a 5 MB file with 2,000 flows in about half a second of CPU (bound: 1.5 s)", function () {
    this.timeout(20_000);
    const chunk = (i: number) =>
      `// comment flow(${i})\nconst s${i} = "flow(" + \`\${x / 2} flow(\` + /flow\\(/.source;\nexport const f${i} = flow({ name: "f${i}" }, async ({ a = ${i}, b = "x" }: { a?: number; b?: string }) => {\n  for (let j = 0; j < 10; j++) total += j / 3;\n${"  doSomething(a, b, [1, 2, 3], { k: 'v' });\n".repeat(60)}});\n`;
    const src = `import { flow } from "flowline";\n` + Array.from({ length: 2000 }, (_, i) => chunk(i)).join("");
    assert.ok(src.length > 5_000_000, `file is ${src.length} bytes`);
    findFlows(src, "big.ts"); // warm up
    // CPU time, not wall time: other processes sharing the cores must not fail this test.
    const start = process.cpuUsage();
    const flows = findFlows(src, "big.ts");
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    assert.equal(flows.length, 2000);
    assert.deepEqual(flows[1999].params.defaults, { a: 1999, b: "x" });
    assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms`);
  });

  it("stays linear on a .tsx file full of generic types it first reads as JSX", function () {
    this.timeout(20_000);
    const src = `import { flow } from "flowline";\n` + "let g: <T>(x: T) => T;\n".repeat(20_000) + "export const real = flow(async () => {});\n";
    const start = process.cpuUsage();
    assert.deepEqual(findFlows(src, "a.tsx").map((f) => f.label), ["real"]);
    const used = process.cpuUsage(start);
    assert.ok(used.user + used.system < 3_000_000, `took ${(used.user + used.system) / 1000} ms of CPU`);
  });

  it("reads real code: the TypeScript compiler (9 MB of JavaScript) and its .d.ts, finding only the flow appended", function () {
    this.timeout(30_000);
    const lib = path.join(path.dirname(require.resolve("typescript/package.json")), "lib");
    const tail = `\nimport { flow } from "flowline";\nexport const appended = flow(async () => {});\n`;
    for (const [file, as] of [["typescript.js", "a.js"], ["typescript.d.ts", "a.ts"]]) {
      const src = fs.readFileSync(path.join(lib, file), "utf8") + tail;
      const start = process.cpuUsage();
      assert.deepEqual(findFlows(src, as).map((f) => f.label), ["appended"], file);
      const used = process.cpuUsage(start);
      assert.ok(used.user + used.system < 5_000_000, `${file} took ${(used.user + used.system) / 1000} ms of CPU`);
    }
  });

  it("tokenizes without throwing on arbitrary input", () => {
    for (const text of ["`${", "/", "<", "<div>{", "'", '"\\', "/*", "a /= b / c", "#!/usr/bin/env node\nx", "x?.5:1"]) {
      assert.doesNotThrow(() => tokenize(text, { jsx: true }), text);
    }
  });
});
