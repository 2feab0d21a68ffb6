import * as path from "node:path";
import { userErrorLocation } from "../shared/error-location";

// Why a flow process died before its run ended, kept for the run's Crashed state: an error thrown in a
// timer, an unhandled promise rejection, or a call to process.exit, with the user's file:line. Without it
// the run said only "exited with code 1".

export class CrashCause {
  private cause: string | undefined;

  /** `flowFile`: the file being run; `ownDirs`: Flowline's own folders, whose frames are not the user's. */
  constructor(
    private readonly flowFile: string,
    private readonly ownDirs: string[],
  ) {}

  /** Starts noting causes. The process still dies as Node decides; this only listens (and wraps process.exit). */
  watch(): void {
    process.on("uncaughtExceptionMonitor", (err: unknown, origin) => {
      const what = origin === "unhandledRejection" ? "an unhandled promise rejection" : "an uncaught error";
      const stack = err instanceof Error ? err.stack : undefined;
      const head = err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : String(err);
      this.cause ??= `The flow process crashed on ${what}${this.at(stack)}: ${head}`;
    });
    const exit = process.exit.bind(process);
    process.exit = ((code?: number | string | null) => {
      this.cause ??= `The flow process exited with code ${code ?? process.exitCode ?? 0}: process.exit(${code ?? ""}) was called${this.at(new Error().stack)}.`;
      return exit(code);
    }) as typeof process.exit;
  }

  /** The state message for runs left open when the process exits with `code`. */
  message(code: number): string {
    return this.cause ?? `The flow process exited with code ${code} before the run finished (was process.exit called?).`;
  }

  private at(stack: string | undefined): string {
    const where = userErrorLocation(stack, this.flowFile, this.ownDirs);
    return where ? ` at ${path.relative(process.cwd(), where.file) || where.file}:${where.line}:${where.column}` : "";
  }
}
