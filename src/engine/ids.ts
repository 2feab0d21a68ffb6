import { randomFillSync } from "node:crypto";

// Run ids: random (version 4) UUIDs, as crypto.randomUUID makes them, from the same source. Made here
// because randomUUID's text is built by joining pieces, and every journal line the id is written into
// then walks those pieces again; this text is one flat string from the start (and a little cheaper).

const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, "0");
  HEX[2 * i] = h.charCodeAt(0);
  HEX[2 * i + 1] = h.charCodeAt(1);
}
/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const IDS_A_FILL = 256;
const pool = Buffer.allocUnsafe(16 * IDS_A_FILL);
let used = IDS_A_FILL;
const text = Buffer.alloc(36, 0x2d); // the dashes stay

/** A new random UUID. */
export function newId(): string {
  if (used === IDS_A_FILL) {
    randomFillSync(pool);
    used = 0;
  }
  const o = 16 * used++;
  pool[o + 6] = (pool[o + 6] & 0x0f) | 0x40; // version 4
  pool[o + 8] = (pool[o + 8] & 0x3f) | 0x80; // variant 10
  for (let i = 0; i < 16; i++) {
    const b = 2 * pool[o + i];
    const at = AT[i];
    text[at] = HEX[b];
    text[at + 1] = HEX[b + 1];
  }
  return text.toString("latin1", 0, 36);
}
