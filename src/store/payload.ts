import * as fs from "node:fs";

// A segment's payload file: records appended one after another and found again by (offset, length), each
// checked against the crc32 kept with its reference. Bytes are never changed in place, so a reference that
// an index names stays readable while that index is current; a torn tail left by a killed writer is never
// referenced (references are committed only after the payload is synced) and is simply skipped over.

export interface PayloadRef {
  off: number;
  len: number;
  crc: number;
}

export class PayloadDamagedError extends Error {
  constructor(
    readonly file: string,
    readonly ref: PayloadRef,
    why: string,
  ) {
    super(`The Flowline payload file ${file} is damaged at byte ${ref.off} (${why}); the record stored there cannot be read.`);
    this.name = "PayloadDamagedError";
  }
}

/** zlib's crc32, loaded on first use: a listing that reads no payload does without zlib's load. */
let zlibCrc32: ((data: Uint8Array) => number) | undefined;
function crc32(data: Uint8Array): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  zlibCrc32 ??= (require("node:zlib") as typeof import("node:zlib")).crc32;
  return zlibCrc32(data);
}

/** Appends records to one payload file, opened on the first append. */
export class PayloadAppender {
  private fd: number | undefined;
  private end = 0;
  private unsynced = false;

  constructor(readonly file: string) {}

  append(bytes: Buffer): PayloadRef {
    if (this.fd === undefined) this.fd = fs.openSync(this.file, "a+");
    // Appends land at the file's end whatever offset is asked (O_APPEND), so the record's offset is the end
    // now: a writer that lost its lock may have appended too, and a stale offset would point into its bytes.
    const off = fs.fstatSync(this.fd).size;
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, off + done);
    this.end = off + bytes.length;
    this.unsynced = true;
    return { off, len: bytes.length, crc: crc32(bytes) };
  }

  appendJson(value: unknown): PayloadRef {
    return this.append(Buffer.from(JSON.stringify(value)));
  }

  /** Bytes in the file after the appends so far. */
  get size(): number {
    if (this.fd === undefined) {
      try {
        return fs.statSync(this.file).size;
      } catch {
        return 0;
      }
    }
    return this.end;
  }

  /** Makes every append durable; called before the index that references them is written. */
  sync(): void {
    if (this.fd !== undefined && this.unsynced) fs.fsyncSync(this.fd);
    this.unsynced = false;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Reads one record; throws PayloadDamagedError when it is short or its crc does not match. */
export function readPayload(file: string, ref: PayloadRef): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(ref.len);
    let done = 0;
    while (done < ref.len) {
      const n = fs.readSync(fd, buf, done, ref.len - done, ref.off + done);
      if (n === 0) break;
      done += n;
    }
    if (done < ref.len) throw new PayloadDamagedError(file, ref, `the file ends ${ref.len - done} bytes early`);
    if (crc32(buf) !== ref.crc) throw new PayloadDamagedError(file, ref, "its checksum does not match");
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export function readPayloadJson<T>(file: string, ref: PayloadRef): T {
  return JSON.parse(readPayload(file, ref).toString("utf8")) as T;
}
