/// <reference lib="dom" />
import { strict as assert } from "node:assert";
import { ArtifactPanels } from "../../src/extension/panels/panels";
import { fakeVscode } from "../fake-vscode";
import { artifact, PanelPage, useBrowser } from "./harness";
import { ChromiumPanel, EXTENSION_URI } from "./hosted-panel";
import { artifactEvent, storeWith, type StoreFixture } from "./store-fixture";

// Remote images in a panel load only after the reader clicks "Load remote images": an image's server
// learns who opened the artifact, from where and when. The real host (ArtifactPanels over a real store)
// with the real webview in Chromium; Playwright sees every request the page makes (its request events) and
// every one that reaches a server (page.route), so "not loaded" means the page never asked, not only that
// no <img> was drawn. The CSP is checked on its own: an <img> that gets into the page anyway is blocked
// before its request leaves the page.

const PHOTO = "https://images.test/photo.png";
const CHART = "https://images.test/chart.png";
const PIXEL = "https://tracker.test/pixel.png";
const BADGE = "https://tracker.test/badge.png";
const CELL = "https://tracker.test/cell.png";

const toImages = (urls: string[]) => urls.filter((u) => /^https:\/\/(images|tracker)\.test\//.test(u));

/** Waits until every <img> on the page has loaded (the 2×2 PNG every image server answers with). */
async function imagesLoaded(p: PanelPage, count: number): Promise<string[]> {
  await p.page.waitForFunction((n) => {
    const imgs = [...document.images];
    return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth === 2);
  }, count);
  return p.page.evaluate(() => [...document.images].map((i) => i.src).sort());
}

describe("remote images wait for a click (host and webview in Chromium)", function () {
  this.timeout(60_000);
  const browser = useBrowser();
  let fx: StoreFixture;
  let panels: ArtifactPanels;
  let chromium: ChromiumPanel[];

  beforeEach(async () => {
    fx = await storeWith([
      artifactEvent("photo", "image", PHOTO, { key: "photo" }, 1),
      artifactEvent("report", "markdown", `# Report\n\n![chart](${CHART})\n\n![](${PIXEL})`, { key: "report", description: `Built ![badge](${BADGE})` }, 2),
      artifactEvent("cells", "table", [{ name: "a", chart: `![cell chart](${CELL})` }], { key: "cells" }, 3),
    ]);
    const f = fakeVscode();
    chromium = [];
    f.makePanel = (title) => {
      const p = new ChromiumPanel(browser(), title);
      chromium.push(p);
      return p;
    };
    panels = new ArtifactPanels({ vscode: f.vscode, extensionUri: EXTENSION_URI, getStore: async () => fx.ext, revealRun: async () => undefined });
  });
  afterEach(() => {
    panels.dispose();
    fx.close();
  });

  async function open(id: string): Promise<PanelPage> {
    await panels.open(id);
    const p = await chromium[chromium.length - 1].loaded();
    await p.page.waitForSelector(".panel");
    return p;
  }

  async function clickLoad(p: PanelPage): Promise<void> {
    const panel = chromium[chromium.length - 1];
    const loads = panel.loads;
    await p.page.locator(".load-remote-images").first().click();
    // The host allows the hosts and sets the page again: it reloads, says ready and is shown again.
    await panel.reloaded(loads);
    await p.page.waitForSelector(".panel");
  }

  it("an image artifact from https shows its host and the button, requests nothing, and loads after the click", async () => {
    const p = await open("photo");
    assert.match(await p.text(".image-body .remote-image"), /from images\.test not loaded/);
    assert.equal(await p.text(".image-body .load-remote-images"), "Load remote images");
    await p.page.waitForTimeout(300); // time for a request, were one to be made
    assert.deepEqual(toImages(p.requests), [], "the page asked for nothing from the image's server");
    assert.equal(await p.page.locator("img").count(), 0);
    assert.match(await csp(p), /img-src https:\/\/flowline\.test data:;/, "the CSP allows no remote image yet");

    await clickLoad(p);
    assert.deepEqual(await imagesLoaded(p, 1), [PHOTO]);
    assert.deepEqual(toImages(p.served), [PHOTO], "after the click, the image's server was asked once");
    assert.match(await csp(p), /img-src https:\/\/flowline\.test data: https:\/\/images\.test;/, "only the image's own host");
    assert.deepEqual(p.errors, []);
  });

  it("images in markdown, a description and table cells wait too; one click loads every host waiting on the page", async () => {
    const p = await open("report");
    assert.equal(await p.page.locator(".remote-image").count(), 3, "the chart, the pixel and the description's badge");
    assert.match(await p.text(".description"), /Image “badge” from tracker\.test not loaded/);
    await p.page.waitForTimeout(300);
    assert.deepEqual(toImages(p.requests), []);
    await clickLoad(p);
    assert.deepEqual(await imagesLoaded(p, 3), [CHART, BADGE, PIXEL].sort());
    assert.deepEqual(toImages(p.served).sort(), [CHART, BADGE, PIXEL].sort());

    const t = await open("cells");
    await t.page.waitForSelector(".td .remote-image");
    await t.page.waitForTimeout(300);
    assert.deepEqual(toImages(t.requests), [], "a table cell's image waits as well");
    await clickLoad(t);
    assert.deepEqual(await imagesLoaded(t, 1), [CELL]);
  });

  it("the CSP blocks a remote image that reaches the page without being allowed, before any request", async () => {
    const p = await PanelPage.open(browser());
    await p.show(artifact("markdown", "# nothing remote"));
    await p.page.evaluate((src) => {
      const img = document.createElement("img");
      img.src = src;
      document.body.append(img);
    }, PIXEL);
    await p.page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0);
    assert.deepEqual(await p.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), [`img-src ${PIXEL}`]);
    assert.deepEqual(toImages(p.served), [], "the request never left the page");
    await p.close();
  });
});

async function csp(p: PanelPage): Promise<string> {
  return (await p.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content")) ?? "";
}
