// "Run with parameters…" in plain Node: the extension with a fake vscode, asking real flow processes for
// a flow's parameters (describe), checking what the user types against them, and running real flows.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FlowlineExtension } from "../../src/extension/flowline-extension";
import type { InputBoxOptions } from "../../src/extension/vscode-types";
import { fakeContext, fakeVscode } from "../fake-vscode";
import { ensureBuilt } from "./helpers/build";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "describe");

describe("extension: Run with parameters… asks the flow's process what it takes", function () {
  this.timeout(60_000);
  let ws: string;
  let fake: ReturnType<typeof fakeVscode>;
  let extension: FlowlineExtension;
  /** The input boxes shown, and what the user types into each (undefined: Escape). */
  let asked: InputBoxOptions[];
  let typed: string | undefined;

  before(function () {
    this.timeout(180_000);
    ensureBuilt();
  });

  const open = (trusted = true) => {
    fake = fakeVscode({ workspaceFolder: ws, trusted, settings: { warmStart: false } });
    (fake.vscode.window as unknown as { showInputBox: (o: InputBoxOptions) => Promise<string | undefined> }).showInputBox = async (o) => {
      asked.push(o);
      return typed;
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FlowlineExtension: Extension } = require("../../src/extension/flowline-extension") as typeof import("../../src/extension/flowline-extension");
    extension = new Extension(fake.vscode, fakeContext(ROOT));
  };

  beforeEach(() => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-prompt-"));
    fs.cpSync(FIXTURES, ws, { recursive: true });
    asked = [];
    typed = undefined;
    open();
  });

  afterEach(() => {
    extension.runs.dispose();
    extension.store.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  });

  const lens = (target: string, file = "shapes.ts") => ({ file: path.join(ws, file), target, label: target });
  const command = (arg: unknown) => fake.commands.get("flowline.runFlowWithParameters")?.(arg);
  // The prompt's check answers at once, with a message or nothing.
  const check = (text: string) => asked[asked.length - 1].validateInput?.(text) as string | undefined;

  it("starts from the engine's defaults, lists the parameters, refuses a misspelt name and runs with what was typed", async () => {
    // The flow's function is imported from another file: reading shapes.ts alone could not tell its parameters.
    typed = '{"title": "Q3"}';
    const ended = new Promise<string>((resolve) => extension.runs.onDidEnd(({ outcome }) => resolve(outcome.state.type)));
    await command(lens("imported"));
    assert.equal(asked.length, 1);
    assert.equal(asked[0].value, '{"pages":10,"format":"pdf"}');
    assert.equal(asked[0].prompt, 'A JSON object. Parameters: title: string (no default), pages: number, format: "pdf" | "html"');
    assert.equal(check('{"titel": "Q3"}'), "Unknown parameter 'titel'; it takes: title, pages, format.");
    assert.equal(check('{"title": "Q3", "pages": 2}'), undefined);
    assert.equal(await ended, "Completed");
    assert.ok(fake.output.some((l) => l.includes(`Starting flow 'imported' from ${path.join(ws, "shapes.ts")} with parameters {"title":"Q3"}`)), fake.output.join("\n"));
    // Next time it starts from what was typed.
    typed = undefined;
    await command(lens("imported"));
    assert.equal(asked[1].value, '{"title":"Q3"}');
  });

  it("checks values against the flow's TypeScript signature, naming the parameter and its type", async () => {
    await command(lens("imported"));
    assert.equal(check('{"pages": 2}'), "Parameter 'title' (string) is required and was not given.");
    assert.equal(check('{"title": "Q3", "pages": "two"}'), "Parameter 'pages' (number): got \"two\", which is not a number.");
    assert.equal(check('{"title": "Q3", "format": "docx"}'), 'Parameter \'format\' ("pdf" | "html"): got "docx", which is not one of "pdf", "html".');
    assert.equal(check('{"title": "Q3", "format": "html"}'), undefined);
    await command(lens("objectFlow"));
    assert.equal(check('{"required": "yes", "list": "a,b"}'), "Parameter 'list' (unknown[]): got \"a,b\", which is not a list.");
  });

  it("refuses the names a flow's run would refuse: beside a rest parameter, and extra positional arguments", async () => {
    await command(lens("withRest"));
    assert.equal(asked[0].prompt, "A JSON object. Parameters: first: number (no default), ...rest");
    assert.equal(check('{"first": 1, "others": [2]}'), "Unknown parameter 'others'; it takes: first, rest.");
    assert.equal(check('{"first": 1, "rest": [2, 3]}'), undefined);
    await command(lens("named"));
    assert.equal(check('{"day": "mon", "arg3": true}'), undefined, "an extra argument, as a rerun of a run given one passes it");
    assert.equal(check('{"day": "mon", "arg1": true}'), "Unknown parameter 'arg1'; it takes: day, retries, label.");
    await command(lens("none"));
    assert.equal(asked[2].prompt, "This flow takes no parameters: {}");
    assert.equal(check('{"x": 1}'), "Unknown parameter 'x'; it takes none.");
  });

  it("names the parameter whose value nests deeper than a run can take", async () => {
    await command(lens("single"));
    assert.equal(asked[0].prompt, 'A JSON object of parameters, e.g. {"name": "x"}');
    const deep = `{"tree": ${"[".repeat(150)}${"]".repeat(150)}}`;
    assert.match(check(deep) ?? "", /^Parameter "tree" is nested more than 100 levels deep/);
    assert.match(check("{name:") ?? "", /^Not valid JSON/);
    assert.match(check("[1]") ?? "", /must be a JSON object/);
  });

  it("says why a file that would not run cannot, instead of asking for its parameters", async () => {
    fs.writeFileSync(path.join(ws, "broken.ts"), `import { flow } from "flowline";\nexport const broken = flow(async () => {\n  return 1 +;\n});\n`);
    await command(lens("broken", "broken.ts"));
    await command(lens("renamed"));
    assert.equal(asked.length, 0);
    assert.deepEqual(fake.messages.map((m) => m.level), ["error", "error"]);
    assert.match(fake.messages[0].text, /^Flowline: cannot run 'broken': broken\.ts:3:\d+: Unexpected ";"/);
    assert.match(fake.messages[1].text, /^Flowline: cannot run 'renamed': shapes\.ts has no flow 'renamed'; it has: /);
  });

  it("asks nothing in Restricted Mode, and says why", async () => {
    extension.runs.dispose();
    extension.store.dispose();
    open(false);
    await command(lens("imported"));
    assert.equal(asked.length, 0);
    assert.match(fake.messages[0]?.text ?? "", /does not run flows in Restricted Mode/);
    assert.deepEqual(fake.messages[0].actions, ["Manage Workspace Trust"]);
  });
});
