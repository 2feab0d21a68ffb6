import { strict as assert } from "node:assert";
import { RUN_NAME_WORDS, generateRunName } from "../../src/engine/names";

describe("names: generateRunName", () => {
  it("gives adjective-animal names of lowercase ascii letters", () => {
    for (let i = 0; i < 1000; i++) assert.match(generateRunName(), /^[a-z]+-[a-z]+$/);
  });

  it("varies", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(generateRunName());
    assert.ok(seen.size > 150, `only ${seen.size} distinct names in 200`);
  });

  it("draws from lists of at least 120 distinct words each", () => {
    for (const list of [RUN_NAME_WORDS.adjectives, RUN_NAME_WORDS.animals]) {
      assert.ok(list.length >= 120);
      assert.equal(new Set(list).size, list.length);
      for (const w of list) assert.match(w, /^[a-z]+$/);
    }
  });
});
