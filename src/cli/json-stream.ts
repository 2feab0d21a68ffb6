import { once } from "node:events";

// JSON written to stdout piece by piece: a run with a million task runs is never held as one string (a
// string that big cannot exist), and stdout's backpressure is respected. The text is the same as
// printJson's (two-space indents; DEL and C1 controls written as \u escapes, see format.ts).

const C1 = /[\u007f-\u009f]/g;
const escapeC1 = (text: string) => text.replace(C1, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export class JsonStream {
  private pending = "";

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  private async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length < 64 * 1024) return;
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    if (!this.out.write(text)) await once(this.out, "drain");
  }

  /** An object whose fields are plain values or async sources of array items, in order. */
  async object(fields: Array<[string, unknown | AsyncIterable<unknown>]>, depth = 0): Promise<void> {
    const pad = "  ".repeat(depth + 1);
    await this.write("{");
    let first = true;
    for (const [key, value] of fields) {
      await this.write(`${first ? "" : ","}\n${pad}${JSON.stringify(key)}: `);
      first = false;
      if (isAsyncIterable(value)) await this.array(value, depth + 1);
      else await this.write(escapeC1(indentJson(value, depth + 1)));
    }
    await this.write(`\n${"  ".repeat(depth)}}`);
  }

  async array(items: AsyncIterable<unknown>, depth: number): Promise<void> {
    const pad = "  ".repeat(depth + 1);
    let n = 0;
    await this.write("[");
    for await (const item of items) await this.write(`${n++ ? "," : ""}\n${pad}${escapeC1(indentJson(item, depth + 1))}`);
    await this.write(n ? `\n${"  ".repeat(depth)}]` : "]");
  }

  async end(): Promise<void> {
    await this.write("\n");
    await this.flush();
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}

/** JSON.stringify(value, null, 2), its lines indented to sit at `depth`. */
function indentJson(value: unknown, depth: number): string {
  const text = JSON.stringify(value ?? null, null, 2);
  return depth === 0 ? text : text.replace(/\n/g, `\n${"  ".repeat(depth)}`);
}

/** Pages of a listing, yielded item by item: `page(offset, limit)` returns fewer than `limit` at the end. */
export async function* paged<T>(page: (offset: number, limit: number) => Promise<T[]>, size = 1000, total = Infinity): AsyncIterable<T> {
  for (let offset = 0; offset < total; offset += size) {
    const items = await page(offset, Math.min(size, total - offset));
    for (const item of items) yield item;
    if (items.length < size) return;
  }
}
