import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { createLinkArtifact, createMarkdownArtifact, createProgressArtifact, createTableArtifact } from "../../src/engine/artifacts";
import { flow, task } from "../../src/engine/index";
import { openStore, StoreLookupError, type Store } from "../../src/store";
import { TestEngine } from "./helpers/engine";

// Versions by key, filters and lookups over artifacts made by the real engine and folded by the real store.

describe("artifacts in the store", function () {
  this.timeout(20_000);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  async function open(home: string): Promise<Store> {
    const store = await openStore(home);
    cleanup.unshift(() => store.close());
    return store;
  }

  /** Three versions of "report", two of "other" (one a progress), one unkeyed, from a flow with a task. */
  async function scenario(): Promise<{ eng: TestEngine; store: Store; ids: Record<string, string> }> {
    const eng = new TestEngine();
    cleanup.push(() => fs.rmSync(eng.home, { recursive: true, force: true }));
    const inTask = task({ name: "in-task" }, async () => createTableArtifact([{ city: "Dublin" }], { key: "report", description: "third" }));
    const ids = await flow({ name: "versions" }, async () => {
      const r1 = await createMarkdownArtifact("first version", { key: "report", description: "first" });
      const o1 = await createLinkArtifact("https://example.com/needle", { key: "other" });
      const r2 = await createMarkdownArtifact("second version", { key: "report", description: "second" });
      const loose = await createMarkdownArtifact("no key at all");
      const r3 = await inTask();
      const o2 = await createProgressArtifact(20, { key: "other" });
      return { r1, r2, r3, o1, o2, loose };
    })();
    eng.flushSync();
    const store = await open(eng.home);
    await store.sync();
    return { eng, store, ids };
  }

  it("keeps every version of a key, newest first; the newest is the latest; deleting the latest re-points it", async () => {
    const { eng, store, ids } = await scenario();
    assert.deepEqual((await store.getArtifactVersions("report")).map((a) => a.id), [ids.r3, ids.r2, ids.r1]);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true })).map((a) => a.id), [ids.o2, ids.r3]);
    assert.deepEqual(
      (await store.listArtifactKeys()).map((k) => [k.key, k.versions, k.latest.id, k.latest.data]),
      [["other", 2, ids.o2, undefined], ["report", 3, ids.r3, undefined]],
    );

    assert.equal(await store.deleteArtifact(ids.r3), true);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true, key: "report" })).map((a) => a.id), [ids.r2], "the next newest is the latest");
    assert.deepEqual((await store.listArtifactKeys()).map((k) => [k.key, k.versions, k.latest.id]), [["other", 2, ids.o2], ["report", 2, ids.r2]]);
    assert.equal(await store.deleteArtifact(ids.r1), true, "deleting an older version");
    assert.deepEqual((await store.listArtifacts({ latestOnly: true, key: "report" })).map((a) => a.id), [ids.r2]);
    assert.equal(await store.deleteArtifact(ids.r2), true);
    assert.deepEqual((await store.listArtifactKeys()).map((k) => k.key), ["other"], "a key without versions is gone");
    assert.equal(await store.deleteArtifactKey("other"), 2);
    assert.deepEqual((await store.listArtifacts({ latestOnly: true })), []);

    // Another process sees the same: the deletions were written to the file.
    const other = await open(eng.home);
    assert.deepEqual((await other.listArtifacts()).map((a) => a.id), [ids.loose]);
  });

  it("deleting a big table gives its space back: the store's files shrink rather than keeping its bytes", async () => {
    const eng = new TestEngine();
    cleanup.push(() => fs.rmSync(eng.home, { recursive: true, force: true }));
    const rows = Array.from({ length: 30_000 }, (_, i) => [i, `row ${i} of a table big enough to matter`, i * 1.5]);
    await createTableArtifact(rows, { key: "big", headers: ["n", "text", "x"] });
    await createMarkdownArtifact("small", { key: "small" });
    eng.flushSync();
    const store = await open(eng.home);
    await store.sync();
    const size = () => [path.join(eng.home, "flowline.db"), ...fs.readdirSync(path.join(eng.home, "data")).map((f) => path.join(eng.home, "data", f))].reduce((n, f) => n + fs.statSync(f).size, 0);
    const before = size();
    assert.equal(((await store.getArtifactVersions("big"))[0].data as { rows: unknown[] }).rows.length, 30_000);
    assert.equal(await store.deleteArtifactKey("big"), 1);
    assert.ok(size() < before / 4, `the files went from ${before} to ${size()} bytes`);
    assert.deepEqual((await store.listArtifacts()).map((a) => a.key), ["small"]);
  });

  it("filters by key, type, flow run, task run, having a key, and text over key, description and data", async () => {
    const { eng, store, ids } = await scenario();
    const flowRunId = eng.flowRuns()[0].id;
    const taskRunId = eng.taskRuns()[0].id;
    const list = async (opts: Parameters<Store["listArtifacts"]>[0]) => (await store.listArtifacts(opts)).map((a) => a.id);
    assert.deepEqual(await list({ key: "report" }), [ids.r3, ids.r2, ids.r1]);
    assert.deepEqual(await list({ type: "table" }), [ids.r3]);
    assert.deepEqual(await list({ type: "progress", latestOnly: true }), [ids.o2]);
    assert.deepEqual((await list({ flowRunId })).length, 6);
    assert.deepEqual(await list({ flowRunId: "no-such-run" }), []);
    assert.deepEqual(await list({ taskRunId }), [ids.r3]);
    assert.deepEqual(await list({ keyed: false }), [ids.loose]);
    assert.deepEqual((await list({ keyed: true })).length, 5);
    assert.deepEqual(await list({ text: "NEEDLE" }), [ids.o1], "text in the data, any case");
    assert.deepEqual(await list({ text: "second" }), [ids.r2], "text in the description (and data)");
    assert.deepEqual(await list({ text: "dublin" }), [ids.r3], "text in a table cell");
    assert.deepEqual(await list({ text: "repo" }), [ids.r3, ids.r2, ids.r1], "text in the key");
    assert.deepEqual(await list({ key: "report", limit: 1, offset: 1 }), [ids.r2], "a page");
    assert.deepEqual(await list({ offset: 5 }), [ids.r1], "an offset without a limit");
    assert.equal((await store.listArtifacts({ includeData: false }))[0].data, undefined);
    assert.deepEqual((await store.getArtifactVersions("report", { limit: 2, includeData: false })).map((a) => [a.id, a.data]), [
      [ids.r3, undefined],
      [ids.r2, undefined],
    ]);
  });

  it("finds an artifact by a unique start of its id, and says so when the start is unknown or ambiguous", async () => {
    const { store, ids } = await scenario();
    assert.equal((await store.findArtifact(ids.r2)).id, ids.r2);
    assert.equal((await store.findArtifact(ids.r2.slice(0, 8))).id, ids.r2);
    await assert.rejects(() => store.findArtifact("zzzz"), (err: unknown) => err instanceof StoreLookupError && err.code === "not-found" && /artifacts ls --all/.test(err.message));
    await assert.rejects(() => store.findArtifact(""), (err: unknown) => err instanceof StoreLookupError && err.code === "invalid");
    // Two artifacts whose ids share their first characters, from another writer's journal.
    const journal = path.join(store.journalDir, `${process.pid}-twins.ndjson`);
    const twin = (n: number) => ({ e: "artifact", id: `abcdef0${n}-0000-4000-8000-000000000000`, type: "markdown", data: `twin ${n}`, created: new Date().toISOString() });
    fs.writeFileSync(journal, `${JSON.stringify(twin(1))}\n${JSON.stringify(twin(2))}\n`);
    await store.sync();
    await assert.rejects(() => store.findArtifact("abcdef0"),
      (err: unknown) => err instanceof StoreLookupError && err.code === "ambiguous" && /abcdef01-.*abcdef02-|abcdef02-.*abcdef01-/.test(err.message) && /Give more characters/.test(err.message),
    );
    assert.equal((await store.findArtifact("abcdef02")).data, "twin 2");
  });
});
