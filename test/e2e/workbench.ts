// Playwright helpers for the VS Code workbench in code-server: open a file, click a CodeLens, read the
// Output, find tree items and notifications. Selectors are the ones known to be stable (DESIGN-NOTES):
// `.codelens-decoration a`, role=treeitem, `.notifications-toasts`, F1 for the command palette.
import type { FrameLocator, Locator, Page } from "playwright-core";

/** Opens a workspace file by name: its tab if it has one, else with Quick Open (whatever the side bar shows). */
export async function openFile(page: Page, name: string): Promise<void> {
  const tab = page.locator(".tabs-container .tab", { hasText: name }).first();
  if (await tab.isVisible()) {
    await tab.click();
    await page.locator(".tab.active", { hasText: name }).waitFor();
    return;
  }
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(name);
  // Enter only once the file is listed, or it opens nothing.
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".tab.active", { hasText: name }).waitFor();
}

export function lens(page: Page, text: string | RegExp): Locator {
  return page.locator(".codelens-decoration a", { hasText: text }).first();
}

/** Runs a command from the palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
}

/** Opens Flowline's activity bar container (the Flow Runs view). */
export async function showFlowRuns(page: Page): Promise<void> {
  const item = page.locator(".activitybar .action-item", { has: page.locator("a[aria-label^='Flowline']") });
  if (!((await item.getAttribute("class")) ?? "").includes("checked")) await item.click();
  await page.locator(".part.sidebar .title-label", { hasText: /flowline/i }).waitFor();
}

/** A Flow Runs tree item by its accessible name (`Flow run <flow> <run>, <state>`, `Task run <name>, <state>`). */
export function treeItem(page: Page, name: RegExp): Locator {
  return page.locator(".pane-body").getByRole("treeitem", { name }).first();
}

/** Expands a collapsed tree item (idempotent). */
export async function expand(item: Locator): Promise<void> {
  if ((await item.getAttribute("aria-expanded")) === "false") await item.locator(".monaco-tl-twistie").click();
}

/** A line of the Output view that contains `text` (the panel's editor shows the latest lines). */
export function outputLine(page: Page, text: string): Locator {
  return page.locator(".panel .view-line", { hasText: text }).first();
}

export function toast(page: Page, text: string | RegExp): Locator {
  return page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
}

/** Polls `check` until it returns true (bounded), for state that has no single element to wait for. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The content of the active webview panel (an artifact panel): VS Code's outer iframe, then its active frame. */
export function webview(page: Page): FrameLocator {
  return page.frameLocator("iframe.webview.ready:visible").frameLocator("iframe#active-frame");
}

/** An Artifacts tree item for a key (its accessible name starts with the key). */
export function artifactKey(page: Page, key: string): Locator {
  return treeItem(page, new RegExp(`^${escape(key)}(\\b|$)`));
}

/** Opens the latest version of an artifact key from the Artifacts tree in the Flowline side bar. */
export async function openArtifact(page: Page, key: string, timeoutMs = 30_000): Promise<void> {
  await showFlowRuns(page);
  const item = artifactKey(page, key);
  await item.waitFor({ timeout: timeoutMs });
  // One click, even while the tree refreshes as runs write: every click counts.
  await item.locator(".label-name").first().click();
  const tab = page.locator(".tabs-container .tab", { hasText: key }).first();
  if (!(await tab.waitFor({ timeout: 15_000 }).then(() => true, () => false))) throw new Error(`One click on ${key} in the Artifacts tree opened no panel`);
}
