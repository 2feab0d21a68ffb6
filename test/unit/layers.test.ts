import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";

// The seams between the layers, read from the source's own import statements (type-only imports count:
// they tie the files together just the same). src/shared is where both sides meet.

const ROOT = path.resolve(__dirname, "..", "..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** The repository files a source file imports (relative specifiers only), without extension. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
    found.push(path.relative(ROOT, path.resolve(ROOT, path.dirname(file), m[1])).replace(/\.(ts|js|json)$/, ""));
  }
  return found;
}

const graph = new Map([...sourceFiles("src"), ...sourceFiles("webview")].map((f) => [f.replace(/\.ts$/, ""), importsOf(f)]));

function importersFrom(layer: string, into: string): string[] {
  return [...graph].flatMap(([file, deps]) => (file.startsWith(layer) ? deps.filter((d) => d.startsWith(into)).map((d) => `${file} → ${d}`) : []));
}

/** Every import cycle among the files under `dir`, each as its files in order. */
function cycles(dir: string): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "visiting");
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (!dep.startsWith(dir)) continue;
      if (state.get(dep) === "visiting") found.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (file.startsWith(dir) && !state.has(file)) visit(file);
  return found;
}

describe("layers", () => {
  it("the extension and the webview meet only in src/shared: neither imports the other", () => {
    assert.deepEqual(importersFrom("src/extension/", "webview/"), []);
    assert.deepEqual(importersFrom("webview/", "src/extension/"), []);
  });

  it("src/shared stands on its own: it imports nothing from the layers that use it", () => {
    const outside = [...graph].flatMap(([file, deps]) =>
      file.startsWith("src/shared/") ? deps.filter((d) => !d.startsWith("src/shared/") && d !== "package").map((d) => `${file} → ${d}`) : [],
    );
    assert.deepEqual(outside, []);
  });

  it("the engine has no import cycle, type-only imports included", () => {
    assert.deepEqual(cycles("src/engine/").map((c) => c.join(" → ")), []);
  });
});
