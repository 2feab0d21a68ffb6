import * as path from "node:path";
import { UserError } from "../engine/errors";
import { findHome, type HomeChoice } from "../shared/home";
import { parse } from "./args";

export const HOME_USAGE = "flowline home [<file>]";

/** The home a CLI command uses: found from the flow file's folder (else the current folder). */
export function cliHome(flowFile?: string, cwd: string = process.cwd()): HomeChoice {
  return findHome({ start: flowFile ? path.dirname(path.resolve(cwd, flowFile)) : cwd, root: cwd, rootLabel: "the current folder" });
}

/** `flowline home [file]`: the home a command would use, and why (on stdout, for scripts). */
export function homeCommand(args: string[]): number {
  const { positionals } = parse(args, {}, HOME_USAGE);
  if (positionals.length > 1) throw new UserError(`home takes at most one flow file. Usage: ${HOME_USAGE}`);
  const { home, reason } = cliHome(positionals[0]);
  process.stdout.write(`${home}\n  (${reason})\n`);
  return 0;
}
