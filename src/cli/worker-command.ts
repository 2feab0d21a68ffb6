import * as fs from "node:fs";
import * as path from "node:path";
import { UserError } from "../engine/errors";
import { resolveHome } from "../shared/home";
import { databaseUrl } from "../team/team-config";
import { parse } from "./args";
import { escapeBlock } from "./format";

export const WORKER_USAGE = "flowline worker <file> [--concurrency N]";

/**
 * `flowline worker <file>`: serves the task runs of that file's distributed flows (team mode) until
 * Ctrl-C. The worker runs in the SDK bundle (dist/flowline.js), as a flow's own process does, so the
 * file's `import "flowline"` and the worker share one engine.
 */
export async function workerCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { concurrency: { type: "string" } }, WORKER_USAGE);
  if (positionals.length !== 1) throw new UserError(`worker takes one flow file. Usage: ${WORKER_USAGE}`);
  const url = databaseUrl();
  if (!url) {
    throw new UserError("flowline worker needs team mode: set FLOWLINE_DATABASE_URL to the team's PostgreSQL (postgres://user:password@host:5432/database).");
  }
  const text = (values.concurrency as string | undefined) ?? "1";
  const concurrency = Number(text);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UserError(`--concurrency must be a whole number from 1 to 256, not ${JSON.stringify(text)}.`);
  }
  const file = path.resolve(positionals[0]);
  if (!fs.existsSync(file)) throw new UserError(`No such flow file: ${positionals[0]}. Check the path.`);
  const engine = path.join(__dirname, "flowline.js");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require(engine) as { __flowlineWorkerMain: typeof import("../sdk").__flowlineWorkerMain };
  await sdk.__flowlineWorkerMain(engine, {
    file,
    concurrency,
    url,
    home: resolveHome(),
    say: (line) => process.stderr.write(`flowline worker: ${escapeBlock(line)}\n`),
  });
  return 0;
}
