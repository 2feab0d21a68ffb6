import type { EventLike } from "./emitter";
import type { ExtensionStore } from "./store-extras";
import type { LogOutputChannel } from "./vscode-types";

// What the Flowline extension shares with its Artifacts part (the tree and panels in
// src/extension/artifacts): extension.ts builds one ExtensionServices and passes it to
// `registerArtifacts(vscode, context, services)` once at activation. Nothing here loads the store until
// it is asked for.

export interface ExtensionServices {
  /** The Flowline home this window uses (follows the `flowline.home` setting). */
  readonly home: string;
  /** Where persisted results are written (`<home>/storage`). */
  readonly storageDir: string;
  /** The Flowline database, shared by the whole extension. */
  readonly store: StoreAccess;
  /** Flowline's Output channel (a LogOutputChannel named "Flowline"). */
  readonly output: LogOutputChannel;
  /** Shows a flow run (or one of its task runs) in the Flow Runs tree, selecting it. */
  revealRun(flowRunId: string, taskRunId?: string): Promise<void>;
  /** Whether flows may run (a trusted workspace). Viewing runs and artifacts is always allowed. */
  isTrusted(): boolean;
}

export interface StoreAccess {
  /**
   * The store, opened on first use in a worker thread (the home folder is created then). Every call is
   * asynchronous, and reads see what other processes wrote. Do not close it.
   */
  get(): Promise<ExtensionStore>;
  /** The store when the home has a database or journals, else undefined (nothing is created). */
  peek(): Promise<ExtensionStore | undefined>;
  /** Folds the journals now (runs in progress anywhere), then fires onDidChange. */
  sync(): Promise<void>;
  /**
   * Fires after the database changed, whoever changed it: a run here, a CLI run in a terminal, another
   * window, a delete. Throttled to a few times a second. Views refresh on it.
   */
  readonly onDidChange: EventLike<void>;
}

/**
 * The Flow Runs view. package.json declares it in the `flowline` activity bar container, where the
 * Artifacts view (`flowline.artifacts`) goes too.
 */
export const RUNS_VIEW_ID = "flowline.runs";
