// Log caps: lines (FLOWLINE_MAX_LOG_LINES) and bytes (FLOWLINE_MAX_LOG_BYTES), each counted over a whole
// run tree (a top-level flow run with its subflows), then one WARNING. The engine in this process, and the
// real CLI with the store it fills.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { flow, getRunLogger } from "flowline";
import type { LogEvent } from "../../src/shared/events";
import { openStore } from "../../src/store";
import { cli, ensureBuilt, show, tempDir } from "../faults/helpers";
import { TestEngine } from "./helpers/engine";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Runs `fn` with the given environment variables set, restoring them after. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function logs(engine: TestEngine): LogEvent[] {
  return engine.events.filter((e): e is LogEvent => e.e === "log");
}

const bytesOf = (lines: LogEvent[]): number => lines.reduce((n, l) => n + Buffer.byteLength(l.message), 0);

describe("logs: capped in lines and bytes per run tree", function () {
  this.timeout(60_000);

  it("by default keeps at most 10 MiB of log text: of 200 lines of 64 KiB the first 159 are kept, then one WARNING", async () => {
    const engine = new TestEngine();
    const line = "x".repeat(64 * KIB);
    await flow(async () => {
      const log = getRunLogger();
      for (let i = 0; i < 200; i++) log.info(line);
    })();
    const kept = logs(engine);
    const warnings = kept.filter((l) => l.level === "WARNING");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].message, /Log lines after .* were dropped for this flow run and its subflows.*FLOWLINE_MAX_LOG_BYTES=10485760.*Raise FLOWLINE_MAX_LOG_BYTES \(0 = no cap\)/);
    assert.ok(bytesOf(kept) <= 10 * MIB + warnings[0].message.length, `${bytesOf(kept)} bytes kept`);
    assert.equal(kept.filter((l) => l.message === line).length, 159, "the Beginning line and 159 lines of 64 KiB fill 10 MiB");
    assert.equal(kept[kept.length - 1], warnings[0], "nothing after the note");
  });

  it("FLOWLINE_MAX_LOG_BYTES sets the cap, and 0 means none", async () => {
    const line = "é".repeat(32 * KIB); // 64 KiB of UTF-8: bytes are counted, not characters
    const run = () =>
      flow(async () => {
        const log = getRunLogger();
        for (let i = 0; i < 200; i++) log.info(line);
      })();
    const capped = new TestEngine();
    await withEnv({ FLOWLINE_MAX_LOG_BYTES: String(MIB) }, run);
    assert.equal(logs(capped).filter((l) => l.message === line).length, 15);
    assert.match(logs(capped).at(-1)!.message, /FLOWLINE_MAX_LOG_BYTES=1048576/);
    const uncapped = new TestEngine();
    await withEnv({ FLOWLINE_MAX_LOG_BYTES: "0" }, run);
    assert.equal(logs(uncapped).filter((l) => l.message === line).length, 200);
    assert.equal(logs(uncapped).filter((l) => l.level === "WARNING").length, 0);
  });

  it("a flow run and its 20 subflows share one line cap and one note", async () => {
    const engine = new TestEngine();
    const child = flow({ name: "child" }, async (i: number) => {
      const log = getRunLogger();
      for (let n = 0; n < 50; n++) log.info(`child ${i} line ${n}`);
    });
    await withEnv({ FLOWLINE_MAX_LOG_LINES: "100" }, () =>
      flow({ name: "parent" }, async () => {
        for (let i = 0; i < 20; i++) await child(i);
      })(),
    );
    const kept = logs(engine);
    assert.equal(kept.length, 101, `${kept.length} lines`);
    const notes = kept.filter((l) => /were dropped/.test(l.message));
    assert.equal(notes.length, 1);
    assert.match(notes[0].message, /Log lines after 100 were dropped for this flow run and its subflows \(FLOWLINE_MAX_LOG_LINES=100\)/);
    // A second top-level run has a budget of its own.
    const before = logs(engine).length;
    await flow({ name: "again" }, async () => getRunLogger().info("a new run logs again"))();
    assert.ok(logs(engine).slice(before).some((l) => l.message === "a new run logs again"));
  });

  it("with the CLI: 20 subflows logging 16 KiB lines store at most FLOWLINE_MAX_LOG_BYTES in the database", async function () {
    this.timeout(120_000);
    ensureBuilt();
    const dir = tempDir("logs");
    try {
      fs.writeFileSync(
        path.join(dir, "tree.ts"),
        `import { flow, getRunLogger } from "flowline";
const child = flow({ name: "child" }, async () => {
  for (let n = 0; n < 100; n++) getRunLogger().info("y".repeat(16 * 1024));
});
export const tree = flow({ name: "tree" }, async () => {
  for (let i = 0; i < 20; i++) await child();
});
`,
      );
      const res = await cli(["run", "tree.ts", "--json"], dir, { FLOWLINE_MAX_LOG_BYTES: String(MIB) });
      assert.equal(res.code, 0, show(res));
      const id = (JSON.parse(res.stdout) as { flowRun: { id: string } }).flowRun.id;
      const store = await openStore(path.join(dir, ".flowline"), { sync: true });
      try {
        const detail = await store.getFlowRun(id);
        assert.equal(detail.subflowRuns.length, 20);
        const rows = (await Promise.all([detail.flowRun, ...detail.subflowRuns].map((r) => store.getLogs({ flowRunId: r.id })))).flat();
        const bytes = rows.reduce((n, r) => n + Buffer.byteLength(r.message), 0);
        assert.ok(bytes <= MIB + 1024, `${bytes} bytes of logs stored`);
        assert.ok(rows.length <= 66, `${rows.length} log rows stored`);
        assert.equal(rows.filter((r) => /FLOWLINE_MAX_LOG_BYTES=1048576/.test(r.message)).length, 1);
      } finally {
        store.close();
      }
      assert.ok(fs.statSync(path.join(dir, ".flowline", "flowline.db")).size < 3 * MIB);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
