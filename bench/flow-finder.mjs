// The CodeLens flow finder (src/extension/flow-finder) against @babel/parser alone on the same text: the
// cost of finding flows beyond the parse itself, and the parse's cost per MB. Files: a typical flow file
// (examples/), a 5 MB file of 2,000 flows, and the TypeScript compiler (9 MB of JavaScript) with one flow
// appended. CPU time, median of rounds after a warm-up.
// Run with tsx (it imports the TypeScript source): node --import tsx bench/flow-finder.mjs [rounds]
// Prints one JSON line: ms for each file, the finder and the bare parse.
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { ROOT, median } from "./lib.mjs";
import { findFlows } from "../src/extension/flow-finder/index.ts";

const ROUNDS = Number(process.argv[2] ?? 5);
const require = createRequire(import.meta.url);
const babel = require("@babel/parser");

const chunk = (i) =>
  `// comment flow(${i})\nconst s${i} = "flow(" + \`\${x / 2} flow(\` + /flow\\(/.source;\nexport const f${i} = flow({ name: "f${i}" }, async ({ a = ${i}, b = "x" }: { a?: number; b?: string }) => {\n  for (let j = 0; j < 10; j++) total += j / 3;\n${"  doSomething(a, b, [1, 2, 3], { k: 'v' });\n".repeat(60)}});\n`;
const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => f.endsWith(".ts"));
const typical = examples.map((f) => fs.readFileSync(path.join(ROOT, "examples", f), "utf8")).sort((a, b) => b.length - a.length)[0];
const files = {
  typical: [typical, "a.ts", ["typescript", "decorators-legacy"]],
  fiveMb: [`import { flow } from "flowline";\n` + Array.from({ length: 2000 }, (_, i) => chunk(i)).join(""), "a.ts", ["typescript", "decorators-legacy"]],
  typescriptJs: [fs.readFileSync(require.resolve("typescript/lib/typescript.js"), "utf8") + `\nimport { flow } from "flowline";\nexport const appended = flow(async () => {});\n`, "a.js", ["jsx", "decorators-legacy"]],
};

function cpuMs(fn) {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const out = {};
for (const [name, [text, fileName, plugins]] of Object.entries(files)) {
  const parse = () => babel.parse(text, { sourceType: "unambiguous", errorRecovery: true, attachComment: false, plugins });
  const find = () => {
    if (findFlows(text, fileName).length === 0) throw new Error(`no flow found in ${name}`);
  };
  const rounds = name === "typical" ? ROUNDS * 20 : ROUNDS;
  find();
  parse();
  const finder = [];
  const bare = [];
  for (let i = 0; i < rounds; i++) {
    finder.push(cpuMs(find));
    bare.push(cpuMs(parse));
  }
  out[name] = { bytes: text.length, finderMs: median(finder), parseMs: median(bare) };
}
process.stdout.write(`${JSON.stringify(out)}\n`);
