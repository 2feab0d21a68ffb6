// Where persisted results are kept. The default is the home's storage folder, written by results.ts
// itself; team mode (src/team) configures another: PostgreSQL rows, or a shared folder. An S3-style
// store would be a third implementation of this interface, with no change to the engine.

export interface ResultStorage {
  /** A name for messages: "PostgreSQL", or the folder. */
  readonly where: string;
  /**
   * Stores `text` at `key` (already checked: relative, inside the storage). Readers in other processes see
   * it no later than the state event that names it.
   */
  write(key: string, text: string): void;
  /** The text at `key`; rejects when there is none. */
  read(key: string): Promise<string>;
  /** The text at `key` when it can be had at once (this process wrote it), else undefined. */
  readLocal(key: string): string | undefined;
}
