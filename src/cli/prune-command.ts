import * as path from "node:path";
import { UserError } from "../engine/errors";
import { storageDir } from "../shared/home";
import type { PruneResult } from "../store";
import { parse } from "./args";
import { formatTime, printJson, quote } from "./format";
import { openCliStore } from "./store";
import { cliHome } from "./home-command";

export const PRUNE_USAGE = "flowline prune --older-than <days> | --all [--results] [--dry-run] [--json]";

export const PRUNE_HELP = `${PRUNE_USAGE}

Deletes flow runs that ended more than <days> days ago, with their task runs, subflow runs, states and
logs, and artifacts created (or, for progress, last updated) more than <days> days ago. A key whose every
version is that old goes too. Runs still going are kept. <days> may be a fraction (0.5 = 12 hours);
--older-than 0 (or --all) deletes every run that has ended and every artifact. The space is given back.

  --results   also delete the result files of the deleted runs, except those a cache entry that has not
              expired still points at (a later run may reuse them)
  --dry-run   say what would be deleted, delete nothing
  --json      print what was deleted as one JSON object

Without --results, result files under the storage folder are kept.

To prune automatically, set FLOWLINE_RETENTION_DAYS=<days> (in VS Code: the flowline.retentionDays
setting): every command and the extension then prune at most once an hour.
`;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describePrune(r: PruneResult): string {
  const runs = `${plural(r.flowRuns, "flow run")} (with ${plural(r.taskRuns, "task run")}, ${plural(r.states, "state")} and ${plural(r.logs, "log line")})`;
  return `${runs} and ${plural(r.artifacts, "artifact")} from before ${formatTime(r.cutoff)} UTC`;
}

export async function pruneCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(PRUNE_HELP);
    return 0;
  }
  const { values, positionals } = parse(
    args,
    { "older-than": { type: "string" }, all: { type: "boolean" }, results: { type: "boolean" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } },
    PRUNE_USAGE,
  );
  if (positionals.length > 0) throw new UserError(`prune takes only options. Usage: ${PRUNE_USAGE}`);
  const text = values["older-than"] as string | undefined;
  const all = values.all === true;
  if (text === undefined && !all) throw new UserError(`prune needs --older-than <days> (such as --older-than 30) or --all. Usage: ${PRUNE_USAGE}`);
  if (text !== undefined && all) throw new UserError(`prune takes --older-than <days> or --all, not both.`);
  const days = text === undefined ? 0 : Number(text);
  if (text !== undefined && (text.trim() === "" || !Number.isFinite(days) || days < 0)) {
    throw new UserError(`--older-than takes a number of days, 0 or more (such as 30), not ${JSON.stringify(text)}.`);
  }
  const dryRun = values["dry-run"] === true;
  const results = values.results === true;
  const home = cliHome().home;
  const store = await openCliStore(home);
  let result: PruneResult;
  try {
    result = await store.prune({ olderThanDays: days, all: all || days === 0, dryRun, results });
  } finally {
    store.close();
  }
  if (values.json) {
    printJson(result);
    return 0;
  }
  const storage = quote(path.relative(process.cwd(), storageDir(home)) || storageDir(home));
  process.stdout.write(
    dryRun
      ? `Would delete ${describePrune(result)}. Nothing was deleted (--dry-run).\n`
      : `Deleted ${describePrune(result)}.\n${
          results ? `Deleted ${plural(result.resultFiles ?? 0, "result file")} in ${storage} (results a live cache entry uses were kept).` : `Result files in ${storage} were kept (--results deletes those of the deleted runs).`
        }\n`,
  );
  return 0;
}
