// A newcomer's first ten minutes, end to end in a real VS Code (code-server 4.100.3):
//   (a) in an empty folder, "Flowline: Create Example Flow" writes and opens a starter flow with its
//       ▶ Run flow lens and working types for "flowline"; running it leaves a table artifact to open.
//   (b) `npm start`'s browser path (scripts/start.mjs without `code` on PATH) serves examples/ in
//       code-server, prints its address, shows hello_world.ts's lens, and stops on Ctrl-C (SIGINT).
// Every wait is bounded; a watchdog ends everything if the file overruns.
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT, ensureCodeServer, packageVsix, screenshotAfter, startSession, stopAll, suiteWatchdog, withTimeout, type Session } from "./code-server";
import { eventually, lens, openArtifact, outputLine, webview } from "./workbench";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe("A newcomer's first ten minutes", function () {
  this.timeout(300_000);
  let vsix: string;
  let emptyFolder: string;
  const disarm = suiteWatchdog("the newcomer suite", 20);

  before(function () {
    this.timeout(20 * 60_000);
    ensureCodeServer();
    vsix = packageVsix(path.join(os.tmpdir(), `flowline-newcomer-${process.pid}.vsix`));
    emptyFolder = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-newcomer-ws-"));
    fs.writeFileSync(path.join(emptyFolder, "README.md"), "# My flows\n");
  });

  after(async function () {
    this.timeout(60_000);
    disarm();
    await stopAll();
    fs.rmSync(vsix, { force: true });
    fs.rmSync(emptyFolder, { recursive: true, force: true });
  });

  describe("Create Example Flow", () => {
    let session: Session;
    before(async function () {
      this.timeout(5 * 60_000);
      session = await startSession({ vsix, fixture: emptyFolder });
    });
    afterEach(function () {
      return screenshotAfter(this.currentTest, session?.page, "newcomer");
    });
    after(async () => session?.stop());

    it("writes and opens a starter flow with working types; ▶ Run flow completes and its table artifact opens", async () => {
      const { page, workspace } = session;
      // The palette lists the commands known when it opens: wait for Flowline's, reopening it if need be.
      await page.locator(".activitybar a[aria-label^='Flowline']").waitFor({ timeout: 60_000 });
      await eventually(
        async () => {
          await page.keyboard.press("Escape");
          await runCommandQuick(page, "Flowline: Create Example Flow");
          return true;
        },
        90_000,
        "the command palette to run Flowline: Create Example Flow",
      );
      await page.locator(".tab.active", { hasText: "example_flow.ts" }).waitFor({ timeout: 60_000 });
      const file = path.join(workspace, "flows", "example_flow.ts");
      assert.ok(fs.existsSync(file), "flows/example_flow.ts was written");
      assert.ok(fs.existsSync(path.join(workspace, ".flowline", "types", "flowline", "index.d.ts")), "the types were copied");
      const tsconfig = JSON.parse(fs.readFileSync(path.join(workspace, "tsconfig.json"), "utf8"));
      assert.deepEqual(tsconfig.compilerOptions.paths, { flowline: ["./.flowline/types/flowline/index.d.ts"] });

      // "flowline" resolves in the editor: hovering createTableArtifact in the import line (near the top, so
      // always on screen whatever the window's height) shows its declaration from the types.
      const name = page.locator(".view-lines span", { hasText: /^createTableArtifact$/ }).first();
      const hover = page.locator(".monaco-hover-content", { hasText: "TableArtifactOptions" }).first();
      // The hover is asked for by the mouse and, every other try, from the keyboard (cursor on the name,
      // then "Show or Focus Hover"). On a loaded machine the TypeScript server has now and then answered no
      // hover at all for a whole minute (seen here about once in ten runs, never with its verbose log on):
      // after 45 s the test restarts it once, as a user would, says so in its output, and tries again.
      let lastTry = "";
      let tries = 0;
      let restarted = false;
      const started = Date.now();
      await eventually(
        async () => {
          if (!restarted && Date.now() - started > 45_000) {
            restarted = true;
            console.log("      (no hover from the TypeScript server after 45 s: restarting it once)");
            await page.keyboard.press("Escape");
            await runCommandQuick(page, "TypeScript: Restart TS Server").catch(() => undefined);
          }
          await page.mouse.move(0, 0);
          const byKeyboard = tries++ % 2 === 1;
          const how = byKeyboard ? "keyboard" : "mouse";
          const done = await (byKeyboard ? name.click({ timeout: 5000 }).then(() => runCommandQuick(page, "Show or Focus Hover")) : name.hover({ timeout: 5000 })).then(
            () => "ok",
            (e: Error) => e.message.split("\n").slice(0, 4).join(" / "),
          );
          lastTry = `last try (${how}): ${done}`;
          return hover.waitFor({ timeout: 4000 }).then(() => true, () => false);
        },
        120_000,
        "the hover over createTableArtifact to show its declaration from the flowline types",
      ).catch(async (err: Error) => {
        // Say what the editor showed instead, so a failure on another machine can be read from its log.
        await page.mouse.move(0, 0);
        await name.hover({ timeout: 5000 }).catch(() => undefined);
        await page.waitForTimeout(2000);
        throw new Error(`${err.message}\n  ${lastTry}${restarted ? " (after restarting the TypeScript server)" : ""}\n${await editorState(page, session.dir)}`);
      });
      await page.mouse.move(0, 0);
      await page.keyboard.press("Escape");
      // …and the language server reports no problem at all (so no "Cannot find module 'flowline'").
      const problems = page.locator("#status\\.problems");
      await eventually(async () => /^\D*0\D+0\D*$/.test((await problems.innerText({ timeout: 2000 })).trim()), 30_000, "the status bar to count 0 errors and 0 warnings").catch(
        async (err: Error) => {
          throw new Error(`${err.message}\n${await editorState(page, session.dir)}`);
        },
      );

      await lens(page, "Run flow").waitFor({ timeout: 90_000 });
      await lens(page, "Run flow").click();
      // The Output comes to the front and may hide the lens (the flow is low in the file): read the log.
      await outputLine(page, "Finished in state Completed").waitFor({ timeout: 90_000 });
      await eventually(async () => fs.existsSync(path.join(workspace, ".flowline", "storage", "orders", "emea.json")), 10_000, "the stored result");
      assert.ok(fs.existsSync(path.join(workspace, ".flowline", "storage", "orders", "emea.json")), "the task's result was stored under its resultStorageKey");

      await openArtifact(page, "example-orders", 30_000);
      await webview(page).getByText("Grace", { exact: true }).first().waitFor({ timeout: 30_000 });
    });
  });

  describe("npm start in a browser VS Code (scripts/start.mjs)", () => {
    let child: ChildProcess | undefined;
    let browser: Browser | undefined;
    let stateDir: string;
    const created: string[] = [];

    before(() => {
      stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-start-"));
      // Opening hello_world.ts may set up types in examples/: remove what this test creates there.
      for (const p of [path.join(ROOT, "examples", "tsconfig.json"), path.join(ROOT, "examples", ".flowline")]) if (!fs.existsSync(p)) created.push(p);
    });

    after(async function () {
      this.timeout(60_000);
      await withTimeout(browser?.close() ?? Promise.resolve(), 10_000, "closing the browser").catch(() => undefined);
      if (child?.pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, "SIGINT");
        } catch {
          // gone
        }
        await Promise.race([new Promise((r) => child?.once("exit", r)), new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
      for (const p of created) fs.rmSync(p, { recursive: true, force: true });
    });

    afterEach(function () {
      return screenshotAfter(this.currentTest, browser?.contexts()[0]?.pages()[0], "newcomer-npm-start");
    });

    it("prints the address, serves examples/ with hello_world.ts's ▶ Run flow lens, and stops on Ctrl-C", async function () {
      this.timeout(5 * 60_000);
      // A PATH without any `code`, and the browser path forced as well.
      const pathVar = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d && !fs.existsSync(path.join(d, "code"))).join(path.delimiter);
      child = spawn(process.execPath, [path.join(ROOT, "scripts", "start.mjs")], {
        cwd: ROOT,
        env: { ...process.env, PATH: pathVar, FLOWLINE_START_BROWSER: "1", FLOWLINE_START_VSIX: vsix, FLOWLINE_START_DIR: stateDir },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout?.on("data", (d) => (out += String(d)));
      child.stderr?.on("data", (d) => (out += String(d)));
      await eventually(async () => /Flowline is running in VS Code at (http:\/\/127\.0\.0\.1:\d+\/\S*)/.test(out) || child?.exitCode !== null, 150_000, `start.mjs to print its address; output:\n${out}`);
      const match = /Flowline is running in VS Code at (http:\/\/127\.0\.0\.1:(\d+)\/\?folder=(\S+))/.exec(out);
      assert.ok(match, `no address printed; start.mjs exited ${child.exitCode}; output:\n${out}`);
      const [, url, portText, folder] = match;
      assert.equal(folder, path.join(ROOT, "examples"));
      assert.match(out, /Ctrl-C to stop/);

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"], timeout: 60_000 });
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.setDefaultTimeout(30_000);
      await page.goto(url, { timeout: 60_000 });
      await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      // A fresh profile asks whether to trust examples/ (flows are code): the newcomer says yes.
      const trust = page.getByRole("button", { name: /Yes, I trust the authors/ });
      if (await trust.waitFor({ timeout: 15_000 }).then(() => true, () => false)) await trust.click();
      // Open hello_world.ts from the Explorer.
      const entry = page.locator(".explorer-folders-view .monaco-list-row", { hasText: "hello_world.ts" }).first();
      if (!(await entry.isVisible())) await page.keyboard.press("Control+Shift+E");
      await entry.waitFor({ timeout: 30_000 });
      await entry.click();
      await page.locator(".tab", { hasText: "hello_world.ts" }).first().waitFor({ timeout: 30_000 });
      await lens(page, "Run flow").waitFor({ timeout: 90_000 });
      // Opening it set up the types (examples/ has no tsconfig.json of its own): no "Cannot find module".
      const problems = page.locator("#status\\.problems");
      await eventually(async () => /^\D*0\D+0\D*$/.test((await problems.innerText({ timeout: 2000 })).trim()), 60_000, "the status bar to count 0 errors and 0 warnings");
      await withTimeout(browser.close(), 10_000, "closing the browser").catch(() => undefined);
      browser = undefined;

      // Ctrl-C: start.mjs stops code-server and its children, and the port closes.
      const exited = new Promise<number | null>((r) => child?.once("exit", (code) => r(code)));
      process.kill(child.pid!, "SIGINT");
      const code = await withTimeout(exited, 20_000, "start.mjs to exit after SIGINT");
      assert.equal(code, 0);
      await eventually(async () => !(await portOpen(Number(portText))), 10_000, `port ${portText} to close`);
    });
  });
});

/** runCommand with a short wait for the palette row, so a caller can retry. */
/** What the workbench shows now (hover, problems, notifications, status bar): for failure messages. */
async function editorState(page: Page, dir: string): Promise<string> {
  const texts = async (selector: string) =>
    (await page.locator(selector).allInnerTexts().catch(() => [] as string[])).map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean);
  const parts = [
    ["hover", await texts(".monaco-hover-content")],
    ["problems", await texts("#status\\.problems")],
    ["notifications", await texts(".notifications-toasts .notification-toast")],
    ["status bar", await texts(".statusbar-item")],
    ["tabs", await texts(".tabs-container .tab")],
  ] as const;
  const lines = parts.map(([what, list]) => `  ${what}: ${list.length ? list.join(" | ") : "(none)"}`);
  // The TypeScript server's log and the extension host's errors, last lines first to read.
  for (const file of findFiles(path.join(dir, "user-data", "logs"), /^(TypeScript|remoteexthost|Flowline)\.log$/)) {
    const text = fs.readFileSync(file, "utf8").split("\n").filter((l) => !/remoteexthost/.test(file) || /error|warn/i.test(l));
    lines.push(`  ${path.basename(file)} (last lines):`, ...text.slice(-15).map((l) => `    ${l}`));
  }
  return lines.join("\n");
}

function findFiles(dir: string, name: RegExp): string[] {
  const found: string[] = [];
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true } as const)) {
    if (entry.isFile() && name.test(entry.name)) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

async function runCommandQuick(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ timeout: 5000 });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 5000 });
  await page.keyboard.press("Enter");
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
