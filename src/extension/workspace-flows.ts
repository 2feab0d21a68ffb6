import * as fs from "node:fs";
import { findFlows, mayDefineFlows, type FoundFlow } from "./flow-finder";
import type { VSCode } from "./vscode-types";

// The flows of the whole workspace, found statically, for the Run Flow… quick pick. Open documents are
// read from the editor (unsaved edits count); other files from disk, skipping any that never mention
// "flowline" before parsing them.

export interface WorkspaceFlow {
  file: string;
  flow: FoundFlow;
}

const INCLUDE = "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}";
const EXCLUDE = "{**/node_modules/**,**/.flowline/**,**/dist/**,**/out/**,**/.git/**,**/*.d.ts}";
const MAX_FILES = 5000;
const MAX_BYTES = 2_000_000;

export async function findWorkspaceFlows(vscode: VSCode): Promise<WorkspaceFlow[]> {
  const uris = await vscode.workspace.findFiles(INCLUDE, EXCLUDE, MAX_FILES);
  const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
  const found: WorkspaceFlow[] = [];
  await Promise.all(
    uris.map(async (uri) => {
      if (uri.scheme !== "file") return;
      let text: string;
      const doc = open.get(uri.toString());
      if (doc) text = doc.getText();
      else {
        try {
          const stat = await fs.promises.stat(uri.fsPath);
          if (stat.size > MAX_BYTES) return;
          text = await fs.promises.readFile(uri.fsPath, "utf8");
        } catch {
          return;
        }
      }
      if (!mayDefineFlows(text)) return;
      for (const flow of findFlows(text, uri.fsPath)) found.push({ file: uri.fsPath, flow });
    }),
  );
  found.sort((a, b) => a.file.localeCompare(b.file) || a.flow.line - b.flow.line);
  return found;
}
