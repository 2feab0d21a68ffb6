// Cold start: `flowline run` of a trivial flow as a whole process, against `node -e 0`, alternated so
// both see the same machine. Prints one JSON line with medians in ms.
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, median, tempDir, timeCommand } from "./lib.mjs";

const RUNS = Number(process.argv[2] ?? 10);
const dir = tempDir();
fs.writeFileSync(
  path.join(dir, "trivial.ts"),
  `import { flow, task } from "flowline";\nconst one = task({ name: "one" }, async () => 1);\nexport const trivial = flow({ name: "trivial" }, async () => one());\n`,
);
const cli = path.join(ROOT, "bin", "flowline.js");
const node = [], flowline = [];
await timeCommand(process.execPath, [cli, "run", "trivial.ts"], { cwd: dir }); // warm the disk cache
for (let i = 0; i < RUNS; i++) {
  node.push(await timeCommand(process.execPath, ["-e", "0"], { cwd: dir }));
  flowline.push(await timeCommand(process.execPath, [cli, "run", "trivial.ts"], { cwd: dir }));
}
console.log(JSON.stringify({ runs: RUNS, nodeMs: median(node), flowlineMs: median(flowline), overheadMs: median(flowline.map((f, i) => f - node[i])) }));
