import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { durabilityFromEnv } from "../../src/engine/config";
import { readSettings, runEnvironment } from "../../src/extension/settings";

// How a durability mode reaches a run: FLOWLINE_DURABILITY, or the editor's flowline.durability passed to
// runs as that variable. What each mode flushes, and when, is traced in test/faults/durability.test.ts.

describe("durability mode", () => {
  it("FLOWLINE_DURABILITY is run (the default, also when unset or empty) or fsync; anything else is a UserError naming both", () => {
    assert.equal(durabilityFromEnv({}), "run");
    assert.equal(durabilityFromEnv({ FLOWLINE_DURABILITY: "" }), "run");
    assert.equal(durabilityFromEnv({ FLOWLINE_DURABILITY: " run " }), "run");
    assert.equal(durabilityFromEnv({ FLOWLINE_DURABILITY: "FSYNC" }), "fsync");
    assert.throws(
      () => durabilityFromEnv({ FLOWLINE_DURABILITY: "full" }),
      (err: Error) => err.name === "UserError" && /FLOWLINE_DURABILITY is "full"; use "run" .* or "fsync"/.test(err.message),
    );
  });

  it("flowline.durability is offered as run or fsync, and a run gets fsync as FLOWLINE_DURABILITY", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8"));
    const setting = manifest.contributes.configuration.properties["flowline.durability"];
    assert.deepEqual([setting.enum, setting.default], [["run", "fsync"], "run"]);
    const settings = (value: unknown) => readSettings((key) => (key === "durability" ? value : undefined) as never);
    assert.equal(settings("fsync").durability, "fsync");
    assert.equal(settings("sometimes").durability, "run", "a value the manifest does not offer falls back to the default");
    assert.equal(runEnvironment(settings("fsync")).FLOWLINE_DURABILITY, "fsync");
    assert.equal(runEnvironment(settings("run")).FLOWLINE_DURABILITY, undefined, "the default needs no variable");
  });
});
