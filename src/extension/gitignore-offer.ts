import * as fs from "node:fs";
import * as path from "node:path";
import { repositoryRoot } from "../shared/home";
import type { ExtensionContext, VSCode } from "./vscode-types";

// `.flowline/` holds runs, results and a database that do not belong in a commit. When the types are set
// up in a git workspace whose .gitignore does not cover the home, Flowline asks once, with a one-click
// action; it never edits .gitignore without that click.

const ASKED_KEY = "flowline.gitignoreOffered";

/** The line that ignores `home` in its repository's root .gitignore, or undefined when it is covered, or outside a repository. */
export function gitignoreLine(home: string): { gitignore: string; line: string } | undefined {
  const repo = repositoryRoot(path.dirname(home));
  if (!repo) return undefined;
  const rel = path.relative(repo, home).split(path.sep).join("/");
  if (rel.startsWith("..") || rel === "") return undefined;
  const gitignore = path.join(repo, ".gitignore");
  let text = "";
  try {
    text = fs.readFileSync(gitignore, "utf8");
  } catch {
    // none yet
  }
  const name = path.basename(home);
  const covered = text.split(/\r?\n/).map((l) => l.trim()).some((l) => [name, `${name}/`, `/${rel}`, `/${rel}/`, rel, `${rel}/`, `**/${name}`, `**/${name}/`].includes(l));
  return covered ? undefined : { gitignore, line: `/${rel}/` };
}

/** Appends the line (on a line of its own) to the .gitignore. */
export function addToGitignore(offer: { gitignore: string; line: string }): void {
  let text = "";
  try {
    text = fs.readFileSync(offer.gitignore, "utf8");
  } catch {
    // a new file
  }
  fs.appendFileSync(offer.gitignore, `${text === "" || text.endsWith("\n") ? "" : "\n"}${offer.line}\n`);
}

/** Asks once per workspace to add the home to .gitignore; adds it only on the click. */
export async function offerGitignore(vscode: VSCode, context: ExtensionContext, home: string): Promise<void> {
  if (context.workspaceState.get<boolean>(ASKED_KEY)) return;
  const offer = gitignoreLine(home);
  if (!offer) return;
  await context.workspaceState.update(ASKED_KEY, true);
  const add = "Add to .gitignore";
  const picked = await vscode.window.showInformationMessage(`Flowline keeps its runs and results in ${offer.line.slice(1)}, which git would commit. Add it to .gitignore?`, add);
  if (picked !== add) return;
  addToGitignore(offer);
  void vscode.window.setStatusBarMessage(`$(check) Flowline: added ${offer.line} to .gitignore`, 4000);
}
