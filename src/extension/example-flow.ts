import * as fs from "node:fs";
import * as path from "node:path";

// "Flowline: Create Example Flow": a starter flow a newcomer can run at once. It shows a task with
// retries and a templated resultStorageKey, the runtime context, and a table artifact, so one click on
// ▶ Run flow leaves a result file and an artifact to open. test/unit/example-flow.test.ts type-checks it
// against the SDK's declarations with tsc.

export const EXAMPLE_FLOW = `// A starter flow, written by "Flowline: Create Example Flow".
//
// Click "▶ Run flow" above exampleFlow (or run \`npx flowline run <this file>\` in a terminal). Then:
//   - the Flow Runs view (Flowline in the activity bar) shows the run and its task runs;
//   - the first attempt of fetch-orders fails on purpose and its retry succeeds (see the logs);
//   - the task's result is stored as .flowline/storage/orders/emea.json (its resultStorageKey);
//   - the Artifacts view has a table "example-orders": open it to search and sort it.
import { createTableArtifact, flow, runtime, task } from "flowline";

interface Order {
  id: number;
  customer: string;
  amount: number;
}

let attempts = 0;

// A flaky task: retries: 2 gives it up to three attempts, one second apart.
export const fetchOrders = task(
  {
    name: "fetch-orders",
    retries: 2,
    retryDelaySeconds: 1,
    persistResult: true,
    resultStorageKey: "orders/{parameters[region]}.json",
  },
  async ({ region = "emea" }: { region?: string } = {}): Promise<Order[]> => {
    attempts += 1;
    console.log(\`\${runtime.taskRun.name}: attempt \${attempts} for region \${region}\`);
    if (attempts === 1) throw new Error("the orders service is busy (a failure on purpose: the retry succeeds)");
    return [
      { id: 1, customer: "Ada", amount: 120.5 },
      { id: 2, customer: "Grace", amount: 80 },
      { id: 3, customer: "Linus", amount: 42.25 },
    ];
  },
);

export const exampleFlow = flow({ name: "example-flow", logPrints: true }, async ({ region = "emea" }: { region?: string } = {}) => {
  // The runtime context: who am I, and what was I called with?
  console.log(\`Flow run \${runtime.flowRun.name} of \${runtime.flowRun.flowName}, parameters \${JSON.stringify(runtime.flowRun.parameters)}\`);
  const orders = await fetchOrders({ region });
  const total = orders.reduce((sum, o) => sum + o.amount, 0);
  await createTableArtifact(orders, {
    key: "example-orders",
    description: \`# Orders for \${region}\\n\${orders.length} orders, \${total.toFixed(2)} in total.\`,
  });
  return total;
});
`;

/** `<dir>/example_flow.ts`, else example_flow_2.ts, example_flow_3.ts, …: the first name that is free. */
export function freeExampleFile(dir: string, base = "example_flow", ext = ".ts"): string {
  for (let n = 1; ; n++) {
    const file = path.join(dir, `${base}${n === 1 ? "" : `_${n}`}${ext}`);
    if (!fs.existsSync(file)) return file;
  }
}

/** Writes the starter flow under `<root>/flows/` without overwriting anything, and returns its path. */
export function writeExampleFlow(root: string): string {
  const dir = path.join(root, "flows");
  fs.mkdirSync(dir, { recursive: true });
  for (;;) {
    const file = freeExampleFile(dir);
    try {
      fs.writeFileSync(file, EXAMPLE_FLOW, { flag: "wx" }); // never overwrites, even in a race
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}
