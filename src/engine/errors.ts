// Errors a user can act on. `UserError`s are reported as one clear line (no stack trace): they are
// mistakes in how Flowline was called, not bugs in the user's flow or in Flowline.

export class UserError extends Error {
  override name = "UserError";
}

/** `text` as JSON for a one-line message, cut after `keep` characters (a 10,000-character key stays readable). */
export function quoteCut(text: string, keep: number): string {
  return text.length > keep ? `${JSON.stringify(text.slice(0, keep)).slice(0, -1)}…"` : JSON.stringify(text);
}

/** A task was called outside any flow run. */
export class MissingContextError extends UserError {
  override name = "MissingContextError";
}

/** A task or flow run exceeded its `timeoutSeconds`. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** A run was cancelled (Ctrl-C, the editor's Cancel, or an abort signal). */
export class CancelledError extends Error {
  override name = "CancelledError";
}

/** A task could not run because a future it was given failed. */
export class UpstreamError extends Error {
  override name = "UpstreamError";
}
