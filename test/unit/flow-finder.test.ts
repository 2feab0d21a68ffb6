import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { findFlows, readFlows, type FoundFlow } from "../../src/extension/flow-finder";

// The CodeLens finder reads source statically, with a real parser. These files are the tricky cases: flows
// must be found wherever they are defined, and never inside comments, strings, templates, regular
// expressions or JSX. (What parameters a flow takes is its flow process's to say: describe.test.ts.)

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

  it("understands a default import beside named ones, optional namespace calls, defaults in requires and import()", () => {
    const src = [
      `import fl, { flow as f, type Flow } from "flowline";`,
      `const { flow: g = undefined } = require("flowline");`,
      `const lib = await import("flowline");`,
      `export const a = f(async () => {});`,
      `export const b = fl?.flow(async () => {});`,
      `export const c = g(async () => {});`,
      `export const d = lib.flow(async () => {});`,
      `export const e = fl["flow"](async () => {}); // computed: not read`,
    ].join("\n");
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["a", "b", "c", "d"]);
  });

  it("names what holds the flow through await, `as`, `satisfies`, later declarators and export default of a name", () => {
    const src = [
      `import { flow, type Flow } from "flowline";`,
      `export default await flow({ name: "first" }, async () => {});`,
      `export const typed = flow(async () => {}) as Flow<[], void>;`,
      `const one = 1, second = flow(async function secondFn() {}) satisfies unknown;`,
      `const third = flow(namedLater);`,
      `export default third;`,
      `function namedLater() {}`,
    ].join("\n");
    assert.deepEqual(findFlows(src, "a.ts").map((f) => [f.label, f.target, f.line, f.character]), [
      ["first", "default", 1, 0], ["typed", "typed", 2, 0], ["secondFn", "secondFn", 3, 0], ["namedLater", "default", 4, 0],
    ]);
  });

  it("puts lenses on the right lines with Windows line endings", () => {
    const src = `import { flow } from "flowline";\r\n\r\nexport const a = flow(async () => {});\r\n  export const b = flow(async () => {});\r\n`;
    assert.deepEqual(findFlows(src, "a.ts").map((f) => [f.label, f.line, f.character]), [["a", 2, 0], ["b", 3, 2]]);
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
    assert.deepEqual(findFlows(`import { type flow } from "flowline";\nexport const f = flow(async () => {});`, "a.ts"), []);
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

  it("finds a flow made inside a JSX expression, which is code", () => {
    const src = header + `const App = () => <div title="flow(">{String(flow({ name: "in-jsx" }, async () => {}))}</div>;\n`;
    assert.deepEqual(labels(findFlows(src, "a.tsx")), ["in-jsx"]);
  });

  it("keeps `<` as a type assertion or comparison in .ts files", () => {
    const src = header + `const n = <number>value;\nif (a < b && c > d) {}\nexport const real = flow(async () => {});\n`;
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["real"]);
  });

  it("recovers from a half-typed file: an unterminated string ends at its line", () => {
    const src = header + `export const a = flow(async () => {});\nconst broken = "no end\nexport const b = flow(async () => {});\nconst t = \`never closed`;
    assert.deepEqual(labels(findFlows(src, "a.ts")), ["a", "b"]);
  });

  it("recovers from half-written lines inside a flow, keeping every lens on its line", () => {
    const src = header + `export const a = flow(async () => {\n  const x = ;\n  if (x >) return;\n});\nexport const b = flow(async () => {});\n`;
    assert.deepEqual(findFlows(src, "a.ts").map((f) => [f.label, f.line]), [["a", 1], ["b", 5]]);
  });

  it("says when a file cannot be read at all (a block left open), so the lenses it had can stay", () => {
    const src = header + `export const a = flow(async () => {\n  await fetch(\n});\nexport const b = flow(async () => {});\n`;
    assert.equal(readFlows(src, "a.ts"), undefined);
    assert.deepEqual(findFlows(src, "a.ts"), []);
    assert.deepEqual(readFlows(`const x = 1;`, "a.ts"), [], "no mention of flowline: nothing to read");
  });
});

describe("flow finder: its parser loads when the first file is read", () => {
  it("is not loaded by the extension's activation", function () {
    this.timeout(60_000);
    // A fresh process: in this one another test may have loaded the parser already.
    const script = `
      const { fakeVscode, fakeContext } = require("./test/fake-vscode");
      const loaded = () => Object.keys(require.cache).some((k) => /[\\\\/]@babel[\\\\/]parser[\\\\/]/.test(k));
      const fake = fakeVscode({ workspaceFolder: require("node:os").tmpdir() });
      const { FlowlineExtension } = require("./src/extension/flowline-extension");
      new FlowlineExtension(fake.vscode, fakeContext(process.cwd()));
      const atActivation = loaded();
      fake.lensProviders[0].provideCodeLenses(fake.document("/ws/f.ts", 'import { flow } from "flowline";\\nexport const f = flow(async () => {});\\n'));
      process.stdout.write(JSON.stringify({ atActivation, afterFirstFile: loaded() }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ["-r", "tsx/cjs", "-e", script], { cwd: path.resolve(__dirname, "..", ".."), encoding: "utf8" });
    assert.deepEqual(JSON.parse(out), { atActivation: false, afterFirstFile: true });
  });
});

describe("flow finder: big and hostile files", () => {
  // How long these take is measured by bench/flow-finder.mjs, not asserted here.
  it("reads a 5 MB file with 2,000 flows, each in its place", function () {
    this.timeout(60_000);
    const chunk = (i: number) =>
      `// comment flow(${i})\nconst s${i} = "flow(" + \`\${x / 2} flow(\` + /flow\\(/.source;\nexport const f${i} = flow({ name: "f${i}" }, async ({ a = ${i}, b = "x" }: { a?: number; b?: string }) => {\n  for (let j = 0; j < 10; j++) total += j / 3;\n${"  doSomething(a, b, [1, 2, 3], { k: 'v' });\n".repeat(60)}});\n`;
    const src = `import { flow } from "flowline";\n` + Array.from({ length: 2000 }, (_, i) => chunk(i)).join("");
    assert.ok(src.length > 5_000_000, `file is ${src.length} bytes`);
    const flows = findFlows(src, "big.ts");
    assert.equal(flows.length, 2000);
    assert.deepEqual([flows[1999].label, flows[1999].flowName, flows[1999].line], ["f1999", "f1999", 1 + 1999 * 65 + 2]);
  });

  it("reads a .tsx file full of generic types that look like JSX", function () {
    this.timeout(60_000);
    const src = `import { flow } from "flowline";\n` + Array.from({ length: 20_000 }, (_, i) => `let g${i}: <T>(x: T) => T;\n`).join("") + "const id = <T,>(x: T) => x;\nexport const real = flow(async () => {});\n";
    assert.deepEqual(findFlows(src, "a.tsx").map((f) => f.label), ["real"]);
  });

  it("reads real code: the TypeScript compiler (9 MB of JavaScript) and its .d.ts, finding only the flow appended", function () {
    this.timeout(120_000);
    const lib = path.join(path.dirname(require.resolve("typescript/package.json")), "lib");
    const tail = `\nimport { flow } from "flowline";\nexport const appended = flow(async () => {});\n`;
    for (const [file, as] of [["typescript.js", "a.js"], ["typescript.d.ts", "a.ts"]]) {
      const src = fs.readFileSync(path.join(lib, file), "utf8") + tail;
      if (file === "typescript.js") assert.ok(src.length > 8_000_000, `${file} is ${src.length} characters`);
      const flows = findFlows(src, as);
      assert.deepEqual(flows.map((f) => [f.label, f.line]), [["appended", src.split("\n").length - 2]], file);
    }
  });

  it("never throws, whatever the input", () => {
    const texts = ["`${", "/", "<", "<div>{", "'", '"\\', "/*", "a /= b / c", "#!/usr/bin/env node\nx", "x?.5:1", "(".repeat(20_000), "[".repeat(50_000) + "]".repeat(50_000)];
    // Every prefix of a real flow file: what the finder sees as it is typed.
    const flowFile = fs.readFileSync(path.join(__dirname, "..", "fixtures", "e2e", "hello.ts"), "utf8");
    for (let i = 0; i <= flowFile.length; i += 7) texts.push(flowFile.slice(0, i));
    for (const text of texts) {
      for (const file of ["a.ts", "a.tsx", "a.js"]) assert.doesNotThrow(() => findFlows(`import { flow } from "flowline";\n${text}`, file), text.slice(0, 40));
    }
  });
});
