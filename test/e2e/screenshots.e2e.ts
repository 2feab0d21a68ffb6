// The docs' screenshots, taken in a real VS Code (code-server 4.100.3) with the packaged .vsix: the
// Artifacts and Flow Runs trees, and a panel of each artifact kind (table, markdown, link, progress, image),
// in a light and a dark theme.
//
//   FLOWLINE_SCREENSHOTS=1 npx mocha --no-config -r tsx/cjs --timeout 240000 --exit test/e2e/screenshots.e2e.ts
//
// writes docs/<what>-<light|dark>.png. Without FLOWLINE_SCREENSHOTS it takes no pictures and checks, in the
// light theme only, that each panel renders its kind (a quick CI check of the same path).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, screenshotAfter, sleep, startPackagedSession, stopAll, suiteWatchdog, type Session } from "./code-server";
import { eventually, lens, openArtifact, openFile, runCommand, showFlowRuns, treeItem, webview } from "./workbench";

const SHOOT = Boolean(process.env.FLOWLINE_SCREENSHOTS);
const DOCS = path.join(ROOT, "docs");
const THEMES = { light: "Default Light Modern", dark: "Default Dark Modern" } as const;
// A theme set before VS Code starts takes for sure; switching a running window proved unreliable. So one
// theme a run: FLOWLINE_SHOT_THEME=dark FLOWLINE_SCREENSHOTS=1 for the dark pictures.
const THEME: Theme = process.env.FLOWLINE_SHOT_THEME === "dark" ? "dark" : "light";
type Theme = keyof typeof THEMES;

/** What each panel must show before it is checked (and photographed). */
const PANELS: { name: string; key: string; type: string; check: (s: Session) => Promise<void> }[] = [
  {
    name: "table",
    key: "largest-cities",
    type: "table",
    check: async ({ page }) => {
      const count = webview(page).locator(".table-tools .count");
      await eventually(async () => (await count.innerText()).trim() === "8 rows", 20_000, "the table's 8 rows");
    },
  },
  {
    name: "markdown",
    key: "release-notes",
    type: "markdown",
    check: async ({ page }) => {
      const body = webview(page).locator(".rendered .markdown-body");
      await body.locator("h1", { hasText: "Release notes" }).waitFor({ timeout: 20_000 });
      assert.equal(await body.locator("li").count(), 3);
      await body.locator("pre code", { hasText: "load(" }).waitFor({ timeout: 5_000 });
    },
  },
  {
    name: "link",
    key: "dashboard-link",
    type: "link",
    check: async ({ page }) => {
      const link = webview(page).locator(".link-body .link-text");
      await link.waitFor({ timeout: 20_000 });
      assert.equal((await link.innerText()).trim(), "Open the dashboard");
      assert.equal(await link.getAttribute("data-href"), "https://example.com");
    },
  },
  {
    name: "progress",
    key: "migration-progress",
    type: "progress",
    check: async ({ page }) => {
      const value = webview(page).locator(".progress-body .progress-value");
      await value.waitFor({ timeout: 20_000 });
      assert.equal((await value.innerText()).trim(), "60%");
    },
  },
  {
    name: "image",
    key: "logo",
    type: "image",
    check: async ({ page }) => {
      const img = webview(page).locator(".image-body img");
      await img.waitFor({ timeout: 20_000 });
      await eventually(async () => img.evaluate((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0), 20_000, "the image to load");
    },
  },
];

describe("Docs screenshots in a real VS Code (code-server)", function () {
  this.timeout(120_000);
  let session: Session;
  let fixture: string;
  const disarm = suiteWatchdog("the screenshots suite", 12);

  before(async function () {
    this.timeout(20 * 60_000);
    // The workspace: a flow making one artifact of each other kind, the cities example for the table, and
    // the extension's icon as the image.
    fixture = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-e2e-shots-"));
    fs.cpSync(path.join(ROOT, "test", "fixtures", "e2e-artifacts"), fixture, { recursive: true });
    fs.copyFileSync(path.join(ROOT, "examples", "cities.ts"), path.join(fixture, "cities.ts"));
    fs.copyFileSync(path.join(ROOT, "media", "icon.png"), path.join(fixture, "logo.png"));
    session = await startPackagedSession("shots", { fixture, env: { FLOWLINE_HOME: "" }, settings: { "workbench.colorTheme": THEMES[THEME] } });
    if (SHOOT) fs.mkdirSync(DOCS, { recursive: true });
  });

  afterEach(function () {
    return screenshotAfter(this.currentTest, session?.page, "screenshots");
  });

  after(async function () {
    this.timeout(60_000);
    disarm();
    await stopAll();
    if (fixture) fs.rmSync(fixture, { recursive: true, force: true });
  });

  it("runs the cities and artifact-kinds flows from their CodeLens", async () => {
    const { page } = session;
    for (const [file, flow] of [["cities.ts", "cities"], ["kinds.ts", "artifact-kinds"]]) {
      await openFile(page, file);
      await lens(page, "Run flow").waitFor({ timeout: 90_000 });
      await lens(page, "Run flow").click();
      await showFlowRuns(page);
      await treeItem(page, new RegExp(`^Flow run ${flow} \\S+, Completed$`)).waitFor({ timeout: 60_000 });
    }
  });

  for (const theme of [THEME]) {
    it(`shows the Artifacts and Flow Runs trees (${theme})`, async () => {
      const { page } = session;
      await session.page.locator(theme === "dark" ? ".monaco-workbench.vs-dark" : ".monaco-workbench.vs").waitFor({ timeout: 20_000 });
      await tidy(session);
      await showFlowRuns(page);
      for (const p of PANELS) await treeItem(page, new RegExp(`^${p.key}\\b`)).waitFor({ timeout: 20_000 });
      await shoot(session, `tree-${theme}`);
    });

    for (const p of PANELS) {
      it(`opens a ${p.type} artifact from the tree and renders it (${theme})`, async () => {
        const { page } = session;
        await tidy(session);
        await openArtifact(page, p.key);
        await webview(page).locator(`.panel.type-${p.type}`).waitFor({ timeout: 30_000 });
        await p.check(session);
        await shoot(session, `${p.name}-${theme}`);
      });
    }
  }
});

/** One panel at a time, nothing over it: close the editors, the bottom panel and any notification. */
async function tidy(session: Session): Promise<void> {
  const { page } = session;
  await runCommand(page, "View: Close All Editors");
  await eventually(async () => (await page.locator(".tabs-container .tab").count()) === 0, 10_000, "the editors to close");
  if (await page.locator(".part.panel").isVisible()) await runCommand(page, "View: Hide Panel");
  if ((await page.locator(".notifications-toasts .notification-toast").count()) > 0) await runCommand(page, "Notifications: Clear All Notifications");
  await page.mouse.move(1390, 890); // no hover tooltip in the picture
}

async function shoot(session: Session, name: string): Promise<void> {
  if (!SHOOT) return;
  await sleep(800); // let the webview finish painting (fonts, the image)
  await session.page.screenshot({ path: path.join(DOCS, `${name}.png`), timeout: 20_000 });
}
