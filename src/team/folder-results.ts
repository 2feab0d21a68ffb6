import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomicSync } from "../shared/atomic-write";
import { resolveStoragePath } from "../engine/storage-key";
import type { ResultStorage } from "../engine/result-storage";

// Results in a folder every machine mounts (FLOWLINE_RESULTS_URL=/mnt/team/results): the same files, the
// same atomic writes as the home's storage folder.

export class FolderResults implements ResultStorage {
  constructor(readonly where: string) {}

  write(key: string, text: string): void {
    writeFileAtomicSync(resolveStoragePath(this.where, key), text, { tempDir: path.join(this.where, ".flowline-tmp") });
  }

  read(key: string): Promise<string> {
    return fs.promises.readFile(resolveStoragePath(this.where, key), "utf8");
  }

  readLocal(key: string): string | undefined {
    return fs.readFileSync(resolveStoragePath(this.where, key), "utf8");
  }
}
