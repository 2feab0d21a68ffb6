import * as path from "node:path";
import { UserError } from "../engine/errors";

// Team mode's switches: FLOWLINE_DATABASE_URL (or the setting flowline.databaseUrl, which the editor puts
// in the environment of what it starts) and FLOWLINE_RESULTS_URL. Read without loading anything: the
// default path only tests one variable.

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.FLOWLINE_DATABASE_URL?.trim();
  if (!url) return undefined;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new UserError(
      `FLOWLINE_DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:5432/database), not ${JSON.stringify(url.slice(0, 60))}; unset it to use the local store.`,
    );
  }
  return url;
}

/** Where persisted results go: the team database itself (rows; the default in team mode) or a folder (a shared mount). */
export type ResultsLocation = { kind: "postgres" } | { kind: "folder"; folder: string };

export function resultsLocation(dbUrl: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResultsLocation {
  const text = env.FLOWLINE_RESULTS_URL?.trim();
  if (!text) return { kind: "postgres" };
  if (/^postgres(ql)?:\/\//i.test(text)) {
    // Results are committed with the events that name them, so they live in the same database.
    if (text === dbUrl) return { kind: "postgres" };
    throw new UserError("FLOWLINE_RESULTS_URL names another PostgreSQL database; results in PostgreSQL go to FLOWLINE_DATABASE_URL's. Unset it, or give a folder path.");
  }
  if (/^file:\/\//i.test(text)) return { kind: "folder", folder: new URL(text).pathname };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UserError(`FLOWLINE_RESULTS_URL ${JSON.stringify(text)} names storage Flowline cannot write yet; use a folder path (a shared mount) or a postgres:// URL.`);
  }
  return { kind: "folder", folder: path.resolve(cwd, text) };
}
