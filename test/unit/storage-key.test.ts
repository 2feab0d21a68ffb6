import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StorageKeyError, renderStorageKey, resolveStoragePath, type StorageKeyScope } from "../../src/engine/storage-key";
import { writeFileAtomicSync } from "../../src/shared/atomic-write";

const when = new Date("2024-02-29T13:05:09.123Z");

/** Runtime objects as the engine hands them over: fields behind getters, as `runtime.flowRun` has them. */
function scope(parameters: Record<string, unknown> = { name: "world" }): StorageKeyScope {
  const flowRun = Object.freeze({
    get id() { return "fr-1"; },
    get name() { return "industrious-trout"; },
    get flowName() { return "my-flow"; },
    get parameters() { return { day: "2024-01-05", "user-id": 7 }; },
    get tags() { return ["etl", "daily"]; },
    get scheduledStartTime() { return when; },
    get runCount() { return 2; },
    get parentFlowRunId() { return undefined; },
  });
  const taskRun = { id: "tr-1", name: "hello-0", taskName: "hello", parameters, tags: [], runCount: 1 };
  return { parameters, flowRun, taskRun };
}

const render = (template: string, params?: Record<string, unknown>): string => renderStorageKey(template, scope(params));

function throwsKeyError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof StorageKeyError, `expected a StorageKeyError, got ${err.name}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("storage keys: rendering", () => {
  it("renders {parameters.name} and Prefect's {parameters[name]}", () => {
    assert.equal(render("hello__{parameters.name}.json"), "hello__world.json");
    assert.equal(render("hello__{parameters[name]}.json"), "hello__world.json");
    assert.equal(render("hello__{parameters['name']}.json"), "hello__world.json");
  });

  it("reads nested fields and items", () => {
    const params = { user: { id: 42 }, items: ["a", "b"], m: new Map([["k", "v"]]) };
    assert.equal(render("{parameters.user.id}/{parameters[items][1]}-{parameters.items.0}-{parameters.m[k]}.json", params), "42/b-a-v.json");
  });

  it("takes both spellings of flow_run/flowRun and task_run/taskRun fields", () => {
    assert.equal(render("{flowRun.flowName}_{flowRun.name}_hello.json"), "my-flow_industrious-trout_hello.json");
    assert.equal(render("{flow_run.flow_name}_{flow_run.name}_hello.json"), "my-flow_industrious-trout_hello.json");
    assert.equal(render("{taskRun.taskName}-{task_run.task_name}-{task_run.run_count}-{flow_run.run_count}"), "hello-hello-1-2");
    assert.equal(render("{flow_run.tags[0]}"), "etl");
  });

  it("reaches flow parameters through flowRun.parameters, with the user's names exact", () => {
    assert.equal(render("{flowRun.parameters.day}/{flow_run.parameters[user-id]}.json"), "2024-01-05/7.json");
    throwsKeyError(() => render("{flowRun.parameters.user_id}"), /the flow run has no parameter 'user_id' \(it has: day, user-id\)/);
  });

  it("does not translate snake_case in the user's own parameter names", () => {
    assert.equal(render("{parameters.user_name}", { user_name: "ann", userName: "bob" }), "ann");
    throwsKeyError(() => render("{parameters.user_name}", { userName: "bob" }), /has no parameter 'user_name'/);
  });

  it("formats dates with tokens and with strftime directives, in UTC", () => {
    assert.equal(render("{flowRun.scheduledStartTime:YYYY-MM-DD}/x.json"), "2024-02-29/x.json");
    assert.equal(render("{flowRun.scheduledStartTime:YYYYMMDD-HHmmss.SSS YY}"), "20240229-130509.123 24");
    assert.equal(render("{flow_run.scheduled_start_time:%Y-%m-%d}"), "2024-02-29");
    assert.equal(render("{flow_run.scheduled_start_time:%H:%M:%S.%f %j %a %b %%}"), "13:05:09.123000 060 Thu Feb %");
  });

  it("renders a Date without a format as ISO", () => {
    assert.equal(render("{flowRun.scheduledStartTime}"), "2024-02-29T13:05:09.123Z");
  });

  it("formats a parameter that holds an ISO date string", () => {
    assert.equal(render("{parameters.day:YYYY/MM}/{parameters.day:%d}", { day: "2024-01-05" }), "2024/01/05");
    assert.equal(render("{parameters.at:HH}", { at: "2024-01-05T23:30:00+02:00" }), "21");
    assert.equal(render("{parameters.at:HH}", { at: "2024-01-05T23:30:00" }), "23", "no zone means UTC");
  });

  it("turns {{ and }} into literal braces", () => {
    assert.equal(render("{{x}}"), "{x}");
    assert.equal(render("a{{{parameters.name}}}b"), "a{world}b");
  });

  it("makes folders with /", () => {
    assert.equal(render("{flow_run.flow_name}/{parameters.name}/result.json"), "my-flow/world/result.json");
  });

  it("renders numbers, booleans, null and objects", () => {
    assert.equal(render("{parameters.n}-{parameters.b}-{parameters.z}-{parameters.o}", { n: 1.5, b: false, z: null, o: { a: [1] } }), '1.5-false-null-{"a":[1]}');
  });
});

describe("storage keys: template errors", () => {
  it("names the template, the field and the parameters there are when a field is unknown", () => {
    throwsKeyError(
      () => render("hello__{parameters.nme}.json"),
      /^The result storage key "hello__\{parameters\.nme\}\.json" names parameters\.nme, but the task has no parameter 'nme' \(it has: name\)/,
    );
    throwsKeyError(() => render("{flowRun.flowNme}"), /"\{flowRun\.flowNme\}" names flowRun\.flowNme, but flowRun has no field 'flowNme' \(it has: id, name, flowName,/);
    throwsKeyError(() => render("{parameters.user.idd}", { user: { id: 1 } }), /parameters\.user has no field 'idd' \(it has: id\)/);
    throwsKeyError(() => render("{parameters.items[5]}", { items: [1] }), /parameters\.items has 1 item\(s\), so no item \[5\]/);
  });

  it("never reads Object.prototype members as fields", () => {
    throwsKeyError(() => render("{parameters.constructor}"), /has no parameter 'constructor'/);
  });

  it("lists the roots when the root is unknown", () => {
    throwsKeyError(() => render("x-{foo}.json"), /"x-\{foo\}\.json" names \{foo\}, but "foo" is not something a key can use; it can use parameters, flowRun \(or flow_run\) and taskRun \(or task_run\)/);
  });

  it("refuses a field whose value is undefined", () => {
    throwsKeyError(() => render("{parameters.name}", { name: undefined }), /names parameters\.name, which is undefined here/);
    throwsKeyError(() => render("{flow_run.parent_flow_run_id}"), /names flow_run\.parent_flow_run_id, which is undefined/);
  });

  it("refuses an unclosed or a stray single brace", () => {
    throwsKeyError(() => render("hello_{parameters.name.json"), /"hello_\{parameters\.name\.json" has a "\{" at position 6 that is never closed/);
    throwsKeyError(() => render("hello}.json"), /has a single "\}" at position 5; write "\}\}"/);
    throwsKeyError(() => render("a{}b"), /empty field/);
  });

  it("refuses a format on a value that is not a date", () => {
    throwsKeyError(() => render("{parameters.name:YYYY}"), /formats \{parameters\.name\} with ":YYYY", but its value "world" is not a date/);
    throwsKeyError(() => render("{parameters.n:03d}", { n: 7 }), /its value a number is not a date/);
    throwsKeyError(() => render("{flowRun.scheduledStartTime:%Q}"), /"%Q", which Flowline does not know/);
  });
});

describe("storage keys: safety", () => {
  let tmp: string;
  let storage: string;
  let outside: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-key-"));
    storage = path.join(tmp, "storage");
    outside = path.join(tmp, "outside");
    fs.mkdirSync(storage);
    fs.mkdirSync(outside);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Renders, resolves and writes as the engine does; returns the error, having checked nothing escaped. */
  function persist(template: string, params: Record<string, unknown>): StorageKeyError | string {
    try {
      const key = renderStorageKey(template, scope(params));
      const file = resolveStoragePath(storage, key, template);
      writeFileAtomicSync(file, "{}");
      return file;
    } catch (err) {
      assert.ok(err instanceof StorageKeyError, String(err));
      assert.match(err.message, /nothing was written/);
      return err;
    } finally {
      assert.deepStrictEqual(fs.readdirSync(outside), [], "nothing is written outside the storage folder");
      assert.deepStrictEqual(fs.readdirSync(tmp).sort(), ["outside", "storage"]);
    }
  }

  it("writes a key with folders under the storage folder", () => {
    const file = persist("{flow_run.flow_name}/{parameters.name}.json", { name: "world" });
    assert.equal(file, path.join(storage, "my-flow", "world.json"));
    assert.equal(fs.readFileSync(path.join(storage, "my-flow", "world.json"), "utf8"), "{}");
  });

  it("refuses ../ in the template", () => {
    const err = persist("../outside/{parameters.name}.json", { name: "x" });
    assert.ok(err instanceof StorageKeyError);
    assert.match(err.message, /"\.\.\/outside\/\{parameters\.name\}\.json" rendered to "\.\.\/outside\/x\.json", which has a "\.\." segment/);
    assert.equal(err.template, "../outside/{parameters.name}.json");
  });

  it("refuses a .. produced by a parameter value, on either separator", () => {
    for (const name of ["../outside/evil", "..\\outside\\evil", "a/../../outside/evil", ".."]) {
      const err = persist("hello__/{parameters.name}/x.json", { name });
      assert.ok(err instanceof StorageKeyError, `refused ${name}`);
      assert.match(err.message, /"\.\." segment/);
    }
  });

  it("refuses absolute keys: /x, C:\\x, \\\\server", () => {
    for (const name of [path.join(outside, "x"), "C:\\x", "c:/x", "\\\\server\\share\\x", "/etc/x"]) {
      const err = persist("{parameters.name}", { name });
      assert.ok(err instanceof StorageKeyError, `refused ${name}`);
      assert.match(err.message, /is an absolute path/);
    }
  });

  it("refuses an empty key, a NUL and a key that names a folder", () => {
    assert.match(String(persist("{parameters.name}", { name: "" })), /is empty/);
    assert.match(String(persist("{parameters.name}", { name: "a\0b" })), /NUL/);
    assert.match(String(persist("{parameters.name}/", { name: "a" })), /ends with "\/"/);
  });

  it("refuses a key too long for a file name or a path, naming the template, not with ENAMETOOLONG", () => {
    const byParameter = persist("out/{parameters.name}.json", { name: "n".repeat(10_000) });
    assert.ok(byParameter instanceof StorageKeyError);
    assert.match(byParameter.message, /^The result storage key "out\/\{parameters\.name\}\.json" rendered to "out\/n{36}…" \(10009 characters\), which has a name of 10005 bytes; a file or folder name holds at most 255 bytes/);
    const literal = persist("k".repeat(10_000), {});
    assert.ok(literal instanceof StorageKeyError);
    assert.match(literal.message, /^The result storage key "k{40}…" \(10000 characters\) has a name of 10000 bytes/);
    const folders = persist(`${"a/".repeat(600)}x.json`, {});
    assert.ok(folders instanceof StorageKeyError);
    assert.match(folders.message, /is 1206 bytes long; a key holds at most 1024 bytes/);
    // Bytes, not characters: 128 two-byte letters are 256 bytes.
    assert.match(String(persist("{parameters.name}", { name: "é".repeat(128) })), /a name of 256 bytes/);
    assert.equal(persist("{parameters.name}", { name: "n".repeat(255) }), path.join(storage, "n".repeat(255)));
  });

  it("refuses a symlink inside the storage folder that points outside, writing nothing", function () {
    try {
      fs.symlinkSync(outside, path.join(storage, "link"), "dir");
    } catch {
      this.skip(); // no permission to create symlinks (Windows without developer mode)
    }
    const err = persist("link/{parameters.name}.json", { name: "x" });
    assert.ok(err instanceof StorageKeyError);
    assert.match(err.message, /symbolic link that leads outside the storage folder/);
    const deep = persist("link/new/folder/{parameters.name}.json", { name: "x" });
    assert.ok(deep instanceof StorageKeyError);
  });

  it("refuses a dangling symlink whose target would be outside", function () {
    try {
      fs.symlinkSync(path.join(outside, "later"), path.join(storage, "dangling"), "dir");
    } catch {
      this.skip();
    }
    assert.ok(persist("dangling/x.json", {}) instanceof StorageKeyError);
  });

  it("allows a symlink that stays inside the storage folder, and a storage folder reached through a symlink", function () {
    fs.mkdirSync(path.join(storage, "real"));
    const linkedHome = path.join(tmp, "home-link");
    try {
      fs.symlinkSync(path.join(storage, "real"), path.join(storage, "alias"), "dir");
      fs.symlinkSync(storage, linkedHome, "dir");
    } catch {
      this.skip();
    }
    assert.equal(resolveStoragePath(storage, "alias/x.json"), path.join(storage, "alias", "x.json"));
    assert.equal(resolveStoragePath(linkedHome, "alias/x.json"), path.join(linkedHome, "alias", "x.json"));
    fs.rmSync(linkedHome);
  });
});

describe("atomic writes", () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-atomic-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("creates missing folders, replaces the file whole and leaves no temp file", () => {
    const file = path.join(tmp, "a", "b", "r.json");
    writeFileAtomicSync(file, "old");
    writeFileAtomicSync(file, Buffer.from("new"), { fsync: true });
    assert.equal(fs.readFileSync(file, "utf8"), "new");
    assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ["r.json"]);
  });

  it("removes its temp file and rethrows when the rename fails", () => {
    const target = path.join(tmp, "taken");
    fs.mkdirSync(path.join(target, "child"), { recursive: true }); // a non-empty folder cannot be renamed over
    assert.throws(() => writeFileAtomicSync(target, "x"));
    assert.deepStrictEqual(fs.readdirSync(tmp), ["taken"]);
  });

  it("keeps a long file name within the name limit for its temp file", () => {
    const file = path.join(tmp, `${"n".repeat(250)}.json`);
    writeFileAtomicSync(file, "ok");
    assert.equal(fs.readFileSync(file, "utf8"), "ok");
  });
});
