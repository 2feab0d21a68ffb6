import { UserError } from "../engine/errors";
import { FLOWLINE_VERSION } from "../shared/version";
import { ARTIFACTS_USAGE, artifactsCommand } from "./artifacts-command";
import { escapeBlock } from "./format";
import { HOME_USAGE, homeCommand } from "./home-command";
import { PRUNE_USAGE, pruneCommand } from "./prune-command";
import { RUN_USAGE, runCommand } from "./run-command";
import { runsCommand } from "./runs-command";
import { WORKER_USAGE, workerCommand } from "./worker-command";

const HELP = `flowline ${FLOWLINE_VERSION} — run TypeScript flows and look at their runs and artifacts

Usage:
  ${RUN_USAGE}
  flowline runs ls [--limit N] [--flow NAME] [--json]
  flowline runs inspect <flow-run-id> [--json]
  ${ARTIFACTS_USAGE}
  ${PRUNE_USAGE}
  ${HOME_USAGE}
  ${WORKER_USAGE}   (team mode: serves distributed flows' task runs)

Ids may be shortened to their first characters. \`flowline prune --help\` explains retention.
Data lives in $FLOWLINE_HOME, else in the nearest .flowline from the flow file's folder up to the git
repository's root, else in <repository root>/.flowline (outside a repository: ./.flowline); \`flowline home\` tells which and why.
With FLOWLINE_DATABASE_URL=postgres://…, data lives in PostgreSQL.
FLOWLINE_RETENTION_DAYS=<days> prunes automatically (at most hourly); result files in storage/ are never deleted by pruning.
Exit codes: 0 completed, 1 failed or crashed, 2 bad input, 130 cancelled.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "runs":
      return runsCommand(rest);
    case "artifacts":
      return artifactsCommand(rest);
    case "prune":
      return pruneCommand(rest);
    case "worker":
      return workerCommand(rest);
    case "home":
      return homeCommand(rest);
    case undefined:
      // No command is a usage mistake: the help goes to stderr, as other bad input does.
      process.stderr.write(HELP);
      return 2;
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(HELP);
      return 0;
    case "--version":
    case "-v":
      process.stdout.write(`${FLOWLINE_VERSION}\n`);
      return 0;
    default:
      throw new UserError(`Unknown command '${command}'. Run \`flowline --help\` for the commands.`);
  }
}

const FILE_SYSTEM_REASONS: Record<string, string> = {
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exceeded",
  ENOTDIR: "a part of the path is a file, not a folder",
};

/**
 * A Flowline home that cannot be written (read-only, full, a file where a folder should be) is the
 * machine's state, not a Flowline bug: one clear line instead of an internal error and a stack. Nothing
 * already stored is changed by a write that failed (the database is replaced only by an atomic rename).
 */
function fileSystemProblem(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== "string") return undefined;
  // mkdir -p on a read-only file system can report ENOENT for the missing folder.
  const reason = FILE_SYSTEM_REASONS[e.code] ?? (e.code === "ENOENT" && e.syscall === "mkdir" ? "the folder cannot be created" : undefined);
  if (!reason) return undefined;
  const where = e.path ? ` ${e.path}` : "";
  return `cannot write${where}: ${reason} (${e.code}). Nothing already stored was changed. Make the Flowline home writable or free some space (or set FLOWLINE_HOME to another folder), then try again.`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const io = fileSystemProblem(err);
    if (io) {
      process.stderr.write(`flowline: ${io}\n`);
      process.exitCode = 1;
    } else if (err instanceof UserError || (err instanceof Error && err.name === "StoreLookupError")) {
      // A lookup error can quote stored names and ids: their control characters are shown, not sent.
      process.stderr.write(`flowline: ${escapeBlock(err.message)}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`flowline: internal error: ${err instanceof Error ? err.stack : String(err)}\nPlease report this.\n`);
      process.exitCode = 70;
    }
  },
);
