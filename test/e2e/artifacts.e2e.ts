// End to end, in a real VS Code (code-server 4.100.3) with the packaged .vsix installed: run the cities
// example from its CodeLens, open its table artifact from the Artifacts tree, search it, and read its raw
// JSON. One code-server session for the file; every wait is bounded; a failure leaves a screenshot in
// test-results/.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, screenshotAfter, startPackagedSession, stopAll, suiteWatchdog, type Session } from "./code-server";
import { artifactKey, eventually, lens, openArtifact, openFile, showFlowRuns, treeItem, webview } from "./workbench";


describe("Artifacts in a real VS Code (code-server)", function () {
  this.timeout(120_000);
  let session: Session;
  let fixture: string;
  const disarm = suiteWatchdog("the artifacts suite", 10);

  before(async function () {
    this.timeout(20 * 60_000);
    // The workspace: the cities example, exactly as shipped.
    fixture = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-e2e-cities-"));
    fs.copyFileSync(path.join(ROOT, "examples", "cities.ts"), path.join(fixture, "cities.ts"));
    session = await startPackagedSession("artifacts", { fixture, env: { FLOWLINE_HOME: "" } });
  });

  afterEach(function () {
    return screenshotAfter(this.currentTest, session?.page, "artifacts");
  });

  after(async function () {
    this.timeout(60_000);
    disarm();
    await stopAll();
    if (fixture) fs.rmSync(fixture, { recursive: true, force: true });
  });

  it("runs the cities flow from its CodeLens and lists largest-cities in the Artifacts tree", async () => {
    const { page } = session;
    await openFile(page, "cities.ts");
    await lens(page, "Run flow").waitFor({ timeout: 90_000 });
    await lens(page, "Run flow").click();
    // The flow is below the fold of the editor, so its lens may not stay rendered: the tree tells the state.
    await showFlowRuns(page);
    await treeItem(page, /^Flow run cities \S+, Completed$/).waitFor({ timeout: 60_000 });
    await artifactKey(page, "largest-cities").waitFor({ timeout: 20_000 });
  });

  it("opens largest-cities from the tree: searching Tokyo shows 1 of 8 rows, and Raw shows its JSON", async () => {
    const { page } = session;
    await openArtifact(page, "largest-cities");
    const panel = webview(page);
    await panel.locator(".panel.type-table").waitFor({ timeout: 30_000 });
    const count = panel.locator(".table-tools .count");
    await eventually(async () => (await count.innerText()).trim() === "8 rows", 20_000, "the table to load its 8 rows");
    assert.equal(await panel.locator(".table-body .tr").count(), 8);

    await panel.locator("vscode-textfield.search input").fill("Tokyo");
    await eventually(async () => (await count.innerText()).trim() === "1 of 8 rows", 10_000, "the count to read 1 of 8 rows");
    const rows = panel.locator(".table-body .tr:visible");
    await eventually(async () => (await rows.count()) === 1, 10_000, "one row to show");
    assert.match(await rows.first().innerText(), /Tokyo/);

    await panel.locator("vscode-button.mode-raw").click();
    const raw = panel.locator(".raw-host .raw-content");
    await panel.locator(".raw-host .raw").first().waitFor({ timeout: 20_000 });
    const text = await raw.innerText();
    assert.ok(text.includes("Tokyo"), `raw view has Tokyo: ${text.slice(0, 300)}`);
    // Raw mode gives the table back as the flow created it: a list of records.
    assert.ok(/"city": "Tokyo"/.test(text), `raw view has the records as created: ${text.slice(0, 300)}`);
    assert.equal(await panel.locator("vscode-button.mode-raw").getAttribute("aria-pressed"), "true");
  });
});
