import type { Disposable } from "./emitter";
import type { TreeView, VSCode } from "./vscode-types";

// A click on a tree item runs its command. VS Code keeps a command's *arguments* under a temporary id that
// each refresh of the item drops, so a click landing while a tree refreshes (a run refreshes it several
// times a second) failed with "Actual command not found, wanted to execute …" and did nothing. A command
// without arguments is never cached: the item's command carries none, and reads the clicked item from the
// view's selection (VS Code selects an item before it runs its command). A whole-tree refresh forgets every
// item at once, until VS Code has asked for the levels again and they are read: meanwhile the selection is
// empty, so the click waits for the reads (bounded), then looks again.

/** Counts a tree's reads in flight, so a click can wait for the one that holds its item. */
export class TreeReads {
  private pending = 0;
  private waiters: Array<() => void> = [];

  track<T>(read: Promise<T>): Promise<T> {
    this.pending++;
    return read.finally(() => {
      if (--this.pending === 0) for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves once no read is in flight. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** The item clicked in `view`: its selection, once a refresh has read its level again (at most `waitMs`). */
export async function clickedItem<T>(view: Pick<TreeView<T>, "selection">, reads: TreeReads, waitMs = 3000): Promise<T | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const node = view.selection[0];
    if (node !== undefined || Date.now() >= deadline) return node;
    await reads.idle();
    // VS Code asks for the level again a round trip after the refresh, and makes its items a turn after.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Registers a view's click command (an item's `command: { command: id }`, with no arguments). */
export function registerTreeClick<T>(vscode: VSCode, id: string, view: () => Pick<TreeView<T>, "selection"> | undefined, reads: TreeReads, open: (node: T) => unknown): Disposable {
  return vscode.commands.registerCommand(id, async () => {
    const shown = view();
    const node = shown && (await clickedItem(shown, reads));
    if (node !== undefined) await open(node);
  });
}
