import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkImage } from "../../src/engine/artifacts-data";
import {
  ArtifactError,
  createImageArtifact,
  createLinkArtifact,
  createMarkdownArtifact,
  createProgressArtifact,
  createTableArtifact,
  updateProgressArtifact,
} from "../../src/engine/artifacts";
import { flow, task } from "../../src/engine/index";
import { openStore, type Artifact, type Store } from "../../src/store";
import { TestEngine } from "./helpers/engine";
import { shapeTable } from "../../src/extension/panels/artifact-content";

// Artifacts created by the real engine in this process, written to its journal, folded by the real store
// and read back: every kind and table shape, how each is linked to its runs, and what is refused.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PIXEL = "test/fixtures/artifacts/pixel.png"; // relative to the workspace: mocha runs in the repo root

describe("artifacts", function () {
  this.timeout(20_000);
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const f of cleanup.splice(0)) f();
  });

  /** A fresh engine home; returns it and a function that folds its journal and opens the store. */
  function engine(): { eng: TestEngine; stored: () => Promise<Store> } {
    const eng = new TestEngine();
    cleanup.push(() => fs.rmSync(eng.home, { recursive: true, force: true }));
    const stored = async () => {
      eng.flushSync();
      const store = await openStore(eng.home);
      cleanup.unshift(() => store.close());
      await store.sync();
      return store;
    };
    return { eng, stored };
  }

  const byId = async (store: Store, id: string): Promise<Artifact> => {
    const a = await store.getArtifact(id);
    assert.ok(a, `artifact ${id} is stored`);
    return a;
  };

  describe("every kind round-trips through the journal and the store", () => {
    it("tables in each shape are stored as they were created (records, columns, rows with headers), linked to the task run and its flow run", async () => {
      const { eng, stored } = engine();
      const make = task({ name: "make-tables" }, async () => ({
        records: await createTableArtifact([{ a: 1, b: "x" }, { b: "y", c: true }], { key: "records", description: "**md**" }),
        columns: await createTableArtifact({ a: [1, 2, 3], b: ["x"] }, { key: "columns" }),
        rows: await createTableArtifact([[1, "x"], [2]], { key: "rows", headers: ["n", "s"] }),
        bare: await createTableArtifact([[1, 2, 3], [4]]),
        empty: await createTableArtifact([]),
      }));
      const ids = await flow({ name: "tables" }, async () => make())();
      const store = await stored();
      const flowRun = eng.flowRuns()[0].id;
      const taskRun = eng.taskRuns()[0].id;

      const records = (await byId(store, ids.records));
      assert.deepEqual(records.data, [{ a: 1, b: "x" }, { b: "y", c: true }]);
      assert.equal(records.type, "table");
      assert.equal(records.key, "records");
      assert.equal(records.description, "**md**");
      assert.equal(records.flowRunId, flowRun);
      assert.equal(records.taskRunId, taskRun);
      // Each shape as it was given (SPEC §6: data as it was created); readers turn any of them into rows.
      assert.deepEqual((await byId(store, ids.columns)).data, { a: [1, 2, 3], b: ["x"] });
      assert.deepEqual((await byId(store, ids.rows)).data, { headers: ["n", "s"], rows: [[1, "x"], [2]] });
      assert.deepEqual((await byId(store, ids.bare)).data, [[1, 2, 3], [4]]);
      assert.deepEqual((await byId(store, ids.empty)).data, []);
      for (const id of Object.values(ids)) assert.match(id, UUID);

      // The panel's Raw mode shows the data as created; its rendered table has the rows under their columns.
      const panel = async (id: string) => shapeTable(await byId(store, id));
      const shown = await panel(ids.records);
      assert.equal(shown.raw, JSON.stringify([{ a: 1, b: "x" }, { b: "y", c: true }], null, 2));
      assert.deepEqual([shown.table?.columns, shown.table?.rows], [["a", "b", "c"], [[1, "x", null], [null, "y", true]]]);
      assert.deepEqual((await panel(ids.columns)).table?.rows, [[1, "x"], [2, null], [3, null]]);
      assert.deepEqual((await panel(ids.rows)).table, { columns: ["n", "s"], rows: [[1, "x"], [2, null]] });
    });

    it("cells are sanitised: NaN and ±Infinity to null, Date to ISO, BigInt to text, nested objects stay JSON", async () => {
      const { stored } = engine();
      class Point {
        constructor(readonly x: number, readonly y: number) {}
      }
      const id = await flow({ name: "sanitise" }, async () =>
        createTableArtifact([
          {
            nan: Number.NaN,
            inf: Infinity,
            ninf: -Infinity,
            when: new Date("2024-05-06T07:08:09.010Z"),
            bad: new Date("nope"),
            big: 2n ** 70n,
            nested: { list: [1, Number.NaN, { at: new Date(0), n: 1n }], gone: undefined },
            point: new Point(1, 2),
            missing: undefined,
            buffer: Buffer.from("hi"),
          },
        ]),
      )();
      const store = await stored();
      const [row] = (await byId(store, id)).data as Array<Record<string, unknown>>;
      assert.deepEqual(row, {
        nan: null,
        inf: null,
        ninf: null,
        when: "2024-05-06T07:08:09.010Z",
        bad: null,
        big: "1180591620717411303424",
        nested: { list: [1, null, { at: "1970-01-01T00:00:00.000Z", n: "1" }] },
        point: { x: 1, y: 2 },
        missing: null,
        buffer: { type: "Buffer", data: [104, 105] },
      });
    });

    it("markdown, link, progress (updated in place) and image are stored as documented", async () => {
      const { eng, stored } = engine();
      const ids = await flow({ name: "kinds" }, async () => {
        const progress = await createProgressArtifact(10, { key: "load", description: "loading" });
        await updateProgressArtifact(progress, 55.5, { description: "more than half" });
        return {
          markdown: await createMarkdownArtifact("# Title\n\n| a |\n|---|\n| 1 |", { key: "notes" }),
          link: await createLinkArtifact("https://example.com/x?y=1", { linkText: "Example", key: "site" }),
          bareLink: await createLinkArtifact("s3://bucket/key.csv"),
          progress,
          image: await createImageArtifact(PIXEL, { key: "pixel" }),
          absoluteImage: await createImageArtifact(path.resolve(PIXEL)),
          webImage: await createImageArtifact("https://example.com/a.png"),
          dataImage: await createImageArtifact("data:image/png;base64,iVBORw0KGgo="),
        };
      })();
      const store = await stored();
      const flowRun = eng.flowRuns()[0].id;
      assert.equal((await byId(store, ids.markdown)).data, "# Title\n\n| a |\n|---|\n| 1 |");
      assert.deepEqual((await byId(store, ids.link)).data, { url: "https://example.com/x?y=1", text: "Example" });
      assert.deepEqual((await byId(store, ids.bareLink)).data, { url: "s3://bucket/key.csv", text: "s3://bucket/key.csv" });
      const progress = (await byId(store, ids.progress));
      assert.equal(progress.data, 55.5);
      assert.equal(progress.description, "more than half");
      assert.ok(progress.updated >= progress.created);
      assert.equal((await byId(store, ids.image)).data, PIXEL, "a workspace file, by its path relative to the workspace");
      assert.equal((await byId(store, ids.absoluteImage)).data, PIXEL);
      assert.equal((await byId(store, ids.webImage)).data, "https://example.com/a.png");
      assert.equal((await byId(store, ids.dataImage)).data, "data:image/png;base64,iVBORw0KGgo=");
      for (const id of Object.values(ids)) {
        assert.equal((await byId(store, id)).flowRunId, flowRun);
        assert.equal((await byId(store, id)).taskRunId, undefined);
      }
    });

    it("outside any run an artifact is linked to nothing and still stored; in a subflow, to the subflow's run", async () => {
      const { eng, stored } = engine();
      const outside = await createMarkdownArtifact("no run", { key: "loose" });
      const child = flow({ name: "child" }, async () => createMarkdownArtifact("in the child"));
      const inChild = await flow({ name: "parent" }, async () => child())();
      const store = await stored();
      const loose = (await byId(store, outside));
      assert.equal(loose.flowRunId, undefined);
      assert.equal(loose.taskRunId, undefined);
      const subflowRun = eng.flowRuns().find((r) => r.flowName === "child")!.id;
      assert.equal((await byId(store, inChild)).flowRunId, subflowRun);
    });

    it("the journal line is written before the create call returns (no await needed for durability)", async () => {
      const { eng } = engine();
      const pending = createMarkdownArtifact("durable-before-return", { key: "durable" });
      const dir = path.join(eng.home, "journal");
      const text = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("");
      assert.match(text, /durable-before-return/);
      assert.ok(text.includes(await pending), "the line carries the returned id");
    });
  });

  describe("what is refused, and the errors that say so", () => {
    it("a key must be lowercase letters, digits and dashes; the error says so and suggests one", async () => {
      for (const key of ["My Report", "under_score", "UPPER", "", "a/b", "ümlaut"]) {
        await assert.rejects(createMarkdownArtifact("x", { key }), (err: Error) => {
          assert.ok(err instanceof ArtifactError, String(err));
          assert.match(err.message, /Artifact key must only contain lowercase letters, numbers, and dashes/);
          assert.match(err.message, /use something like "[a-z0-9-]+"/);
          return true;
        });
      }
      await assert.rejects(createMarkdownArtifact("x", { key: 42 as unknown as string }), /Artifact key must be a string, not number 42/);
      await assert.rejects(createMarkdownArtifact("x", "my-key" as never), /second argument is its options, such as \{ key: /);
      assert.match(await createMarkdownArtifact("x", { key: "ok-123-key" }), UUID);
    });

    it("a key is at most 255 characters; a longer one is refused saying how long it is", async () => {
      assert.match(await createMarkdownArtifact("x", { key: "k".repeat(255) }), UUID);
      await assert.rejects(createMarkdownArtifact("x", { key: "k".repeat(10_000) }), (err: Error) => {
        assert.ok(err instanceof ArtifactError, String(err));
        assert.match(err.message, /^Artifact key "k{20}…" is 10000 characters long; a key holds at most 255\. Use a shorter key/);
        assert.ok(err.message.length < 300, "the message does not repeat the whole key");
        return true;
      });
    });

    it("a table that is none of the three shapes says which shapes are accepted", async () => {
      const accepted = /accepts a list of records .*, a record of columns .* or a list of rows/;
      const cases: Array<[unknown, RegExp, object?]> = [
        ["a string", /got the string "a string"/],
        [42, /got number 42/],
        [new Map([["a", [1]]]), /got a Map/],
        [{ a: [1], b: 2 }, /column "b" is number 2, not a list/],
        [[1, 2, 3], /row 0 is number 1/],
        [[{ a: 1 }, [1]], /list of records, but row 1 is an array of 1, not a record/],
        [[[1], { a: 1 }], /list of rows, but row 1 is an object, not a list/],
      ];
      for (const [table, detail, options] of cases) {
        await assert.rejects(createTableArtifact(table as never, options), (err: Error) => {
          assert.ok(err instanceof ArtifactError);
          assert.match(err.message, detail);
          assert.match(err.message, accepted);
          return true;
        });
      }
      await assert.rejects(createTableArtifact([{ a: 1 }], { headers: ["a"] }), /headers option names the columns of a list of rows; this is a list of records/);
      await assert.rejects(createTableArtifact({ a: [1] }, { headers: ["a"] }), /headers option names the columns of a list of rows; this table is an object/);
      await assert.rejects(createTableArtifact([[1, 2, 3]], { headers: ["a", "b"] }), /Row 0 has 3 cells, but the headers option names 2 columns/);
      await assert.rejects(createTableArtifact([[1]], { headers: ["a", "a"] }), /names the column "a" twice/);
      await assert.rejects(createTableArtifact([[1]], { headers: "a" as never }), /headers option must be a list of column names/);
    });

    it("a cell that cannot become JSON is an error naming its row and column (and where inside it)", async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const cases: Array<[unknown, RegExp]> = [
        [[{ ok: 1 }, { ok: 2, f: () => 1 }], /row 1, column "f" cannot be stored as JSON: it is a function/],
        [{ a: [1, 2], m: [null, new Map()] }, /row 1, column "m" cannot be stored as JSON: it is a Map/],
        [[[1, Symbol("s")]], /row 0, column "1" cannot be stored as JSON: it is a symbol/],
        [[{ deep: { list: [0, { s: new Set([1]) }] } }], /row 0, column "deep" \(at \.list\[1\]\.s\) cannot be stored as JSON: it is a Set/],
        [[{ c: circular }], /row 0, column "c" \(at \.self\) cannot be stored as JSON: it is a circular reference/],
        [[{ p: Promise.resolve(1) }], /it is a Promise \(await it first\)/],
      ];
      for (const [table, message] of cases) {
        await assert.rejects(createTableArtifact(table as never), (err: Error) => err instanceof ArtifactError && message.test(err.message) && /Convert it to/.test(err.message));
      }
    });

    it("links of any scheme are stored as given, as Prefect stores them (the panel decides what opens)", async () => {
      const { stored } = engine();
      const links = ["s3://bucket/key.csv", "gs://b/o", "abfs://c@acct.dfs.core.windows.net/p", "ftp://host/file", "reports/q3.csv", "javascript:alert(1)"];
      const ids = await flow({ name: "links" }, async () => Promise.all(links.map((l) => createLinkArtifact(l))))();
      const store = await stored();
      for (const [i, id] of ids.entries()) assert.deepEqual((await byId(store, id)).data, { url: links[i], text: links[i] });
      await assert.rejects(createLinkArtifact("  "), /needs a link \(a URL or a path\), not the string/);
      await assert.rejects(createLinkArtifact("https://x.y", { linkText: 3 as never }), /linkText must be a string/);
      await assert.rejects(createLinkArtifact(undefined as never), /needs a link \(a URL or a path\), not undefined/);
    });

    it("images: http(s) and base64 data:image URLs, or image files inside the workspace and nowhere else", () => {
      const ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-ws-"));
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-out-"));
      cleanup.push(() => {
        fs.rmSync(ws, { recursive: true, force: true });
        fs.rmSync(outside, { recursive: true, force: true });
      });
      fs.mkdirSync(path.join(ws, "plots"));
      fs.copyFileSync(PIXEL, path.join(ws, "plots", "a.png"));
      fs.copyFileSync(PIXEL, path.join(outside, "b.png"));
      fs.writeFileSync(path.join(ws, "notes.txt"), "text");
      fs.symlinkSync(path.join(outside, "b.png"), path.join(ws, "link.png"));

      assert.equal(checkImage("plots/a.png", ws), "plots/a.png");
      assert.equal(checkImage(path.join(ws, "plots", "a.png"), ws), "plots/a.png");
      assert.equal(checkImage("./plots/../plots/a.png", ws), "plots/a.png");
      assert.equal(checkImage(`file://${path.join(ws, "plots", "a.png")}`, ws), "plots/a.png");
      assert.throws(() => checkImage("../b.png", ws), /is outside the workspace/);
      assert.throws(() => checkImage(path.join(outside, "b.png"), ws), /is outside the workspace/);
      assert.throws(() => checkImage("link.png", ws), /is a link to .* outside the workspace/);
      assert.throws(() => checkImage("plots/none.png", ws), /does not exist/);
      assert.throws(() => checkImage("plots", ws), /is not a file/);
      assert.throws(() => checkImage("notes.txt", ws), /is not an image the panels can show/);
      assert.throws(() => checkImage("javascript:alert(1)", ws), /is a javascript: URL, which is refused/);
      assert.throws(() => checkImage("data:image/svg+xml;base64,PHN2Zz4=", ws), /data: URL that is not a base64 PNG/);
      assert.throws(() => checkImage("data:text/html;base64,PGI+", ws), /data: URL that is not a base64 PNG/);
      assert.equal(checkImage("https://example.com/x.svg", ws), "https://example.com/x.svg");
    });

    it("progress is clamped to 0..100 with a warning; updates refuse ids of other kinds this process created", async () => {
      const { eng, stored } = engine();
      const ids = await flow({ name: "progress" }, async () => {
        const high = await createProgressArtifact(150);
        const low = await createProgressArtifact(-5);
        await updateProgressArtifact(high, 101);
        return { high, low, table: await createTableArtifact([[1]]) };
      })();
      assert.deepEqual(eng.logs().filter((m) => /outside 0\.\.100/.test(m)), [
        "Progress 150 is outside 0..100; it was stored as 100.",
        "Progress -5 is outside 0..100; it was stored as 0.",
        "Progress 101 is outside 0..100; it was stored as 100.",
      ]);
      await assert.rejects(createProgressArtifact(Number.NaN), /Progress must be a number from 0 to 100, not number NaN/);
      await assert.rejects(createProgressArtifact("50" as never), /Progress must be a number/);
      await assert.rejects(updateProgressArtifact(ids.table, 5), /is a table artifact; only progress artifacts can be updated/);
      await assert.rejects(updateProgressArtifact("nope", 5), /needs the id that createProgressArtifact returned/);
      const store = await stored();
      assert.equal((await byId(store, ids.high)).data, 100);
      assert.equal((await byId(store, ids.low)).data, 0);
      assert.deepEqual((await byId(store, ids.table)).data, [[1]]);
    });
  });
});
