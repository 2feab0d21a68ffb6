// A real VS Code for tests and benchmarks: code-server 4.100.3 (VS Code 1.100.3), installed once into
// .cache/code-server by install-code-server.sh, started on a free loopback port with a fresh user-data
// and extensions folder, the Flowline .vsix installed into it, and driven by Playwright in Debian's
// Chromium (see /work/shared/recipes/real-vscode-e2e.md). Everything is bounded in time and stopped by
// process id, also when a test fails.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

// From __filename: tsx gives an ESM importer (bench/extension.mjs) this module without a __dirname.
const HERE = path.dirname(__filename);
export const ROOT = path.resolve(HERE, "..", "..");
export const CODE_SERVER_DIR = process.env.FLOWLINE_CODE_SERVER_DIR ?? path.join(ROOT, ".cache", "code-server");
const CODE_SERVER = path.join(CODE_SERVER_DIR, "node_modules", ".bin", "code-server");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Installs code-server into the cache folder unless it is there already (idempotent; a minute or two). */
export function ensureCodeServer(): void {
  execFileSync("bash", [path.join(HERE, "install-code-server.sh")], { stdio: ["ignore", "ignore", "inherit"], timeout: 15 * 60_000 });
}

/** Builds the .vsix (`npm run package`'s script), building dist/ first if the sources are newer. */
export function packageVsix(out: string): string {
  if (buildIsStale()) execFileSync(process.execPath, [path.join(ROOT, "esbuild.mjs")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], timeout: 5 * 60_000 });
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "package-vsix.mjs"), out], { stdio: ["ignore", "ignore", "inherit"], timeout: 5 * 60_000 });
  return out;
}

/** Whether a source file is newer than the bundles (`npm test` builds first; `npm run test:e2e` alone may not). */
function buildIsStale(): boolean {
  const mtime = (file: string) => {
    try {
      return fs.statSync(file).mtimeMs;
    } catch {
      return Number.NaN;
    }
  };
  const built = Math.min(...["extension.js", "flowline.js", "child.js"].map((f) => mtime(path.join(ROOT, "dist", f))));
  if (Number.isNaN(built)) return true;
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(dir, e.name)) : mtime(path.join(dir, e.name))), 0);
  return Math.max(newest(path.join(ROOT, "src")), fs.existsSync(path.join(ROOT, "webview")) ? newest(path.join(ROOT, "webview")) : 0, mtime(path.join(ROOT, "esbuild.mjs"))) > built;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface SessionOptions {
  vsix: string;
  /** A folder copied into a fresh temp workspace. */
  fixture: string;
  /** The folder of the copy that the window opens (default: the copy itself). */
  folder?: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server (and so the extension host and the runs). */
  env?: Record<string, string>;
  /** Extra extensions (.vsix) to install, e.g. a benchmark's baseline. */
  extraVsix?: string[];
}

export interface Session {
  page: Page;
  workspace: string;
  port: number;
  /** The temp folder holding workspace, user data and extensions (removed by stop()). */
  dir: string;
  stop(): Promise<void>;
}

const live = new Set<Session>();

/** Stops every session still running (an after-all hook and the global watchdog call it). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

export async function startSession(options: SessionOptions): Promise<Session> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-e2e-"));
  const workspace = path.join(dir, "workspace");
  const userData = path.join(dir, "user-data");
  const extensions = path.join(dir, "extensions");
  fs.cpSync(options.fixture, workspace, { recursive: true });
  for (const vsix of [options.vsix, ...(options.extraVsix ?? [])]) {
    const r = spawnSync(CODE_SERVER, ["--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix], { encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(`Installing ${vsix} into code-server failed: ${r.stderr || r.stdout || r.error}`);
  }
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  const settings = {
    "security.workspace.trust.enabled": false,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "telemetry.telemetryLevel": "off",
    "git.enabled": false,
    "update.mode": "none",
    ...options.settings,
  };
  fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify(settings, null, 2));

  const port = await freePort();
  const log = fs.openSync(path.join(dir, "code-server.log"), "a");
  const server: ChildProcess = spawn(
    CODE_SERVER,
    ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--user-data-dir", userData, "--extensions-dir", extensions, path.join(workspace, options.folder ?? "")],
    // Its own process group, so stop() ends it with its extension host, watcher and the flows they ran.
    { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...options.env } },
  );
  fs.closeSync(log);
  let browser: Browser | undefined;
  let stopped = false;
  const session: Session = {
    page: undefined as unknown as Page,
    workspace,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      live.delete(session);
      await withTimeout(browser?.close() ?? Promise.resolve(), 10_000, "closing the browser").catch(() => undefined);
      await killGroup(server, 10_000);
      if (!process.env.FLOWLINE_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  live.add(session);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, server);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
      timeout: 60_000,
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    session.page = page;
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.join(workspace, options.folder ?? ""))}`, { timeout: 60_000 });
    await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
    return session;
  } catch (err) {
    const logText = fs.existsSync(path.join(dir, "code-server.log")) ? fs.readFileSync(path.join(dir, "code-server.log"), "utf8").slice(-3000) : "";
    await session.stop();
    throw new Error(`code-server did not start: ${(err as Error).message}\n${logText}`);
  }
}

/** SIGTERM to the whole process group, then SIGKILL after `graceMs`. */
async function killGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  try {
    process.kill(-pid, "SIGKILL"); // what is left of the group (also after a clean exit of the leader)
  } catch {
    // already gone
  }
  if (timedOut) await Promise.race([exited, sleep(2000)]);
}

async function waitForHttp(url: string, timeoutMs: number, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`code-server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Ends the test process if a suite overruns: a hung browser or server must not hang CI. Returns the
 * function that disarms it (for the suite's after hook).
 */
export function suiteWatchdog(suite: string, minutes: number): () => void {
  const timer = setTimeout(() => {
    process.stderr.write(`e2e: ${suite} ran longer than ${minutes} min; stopping code-server and exiting.\n`);
    void stopAll().finally(() => process.exit(1));
  }, minutes * 60_000);
  timer.unref();
  return () => clearTimeout(timer);
}

/** Installs code-server if needed (the first time takes a minute or two), packages the extension and starts a session with it. */
export async function startPackagedSession(name: string, options: Omit<SessionOptions, "vsix">): Promise<Session> {
  ensureCodeServer();
  const vsix = packageVsix(path.join(os.tmpdir(), `flowline-e2e-${name}-${process.pid}.vsix`));
  try {
    return await startSession({ ...options, vsix });
  } finally {
    fs.rmSync(vsix, { force: true });
  }
}

/**
 * A screenshot in test-results/ after a failed test; of every test with FLOWLINE_E2E_SHOTS=1. For
 * mocha's afterEach: `afterEach(function () { return screenshotAfter(this.currentTest, page, "prefix"); })`.
 */
export async function screenshotAfter(test: { state?: string; title?: string } | undefined, page: Page | undefined, prefix: string): Promise<void> {
  if ((test?.state !== "failed" && !process.env.FLOWLINE_E2E_SHOTS) || !page) return;
  const results = path.join(ROOT, "test-results");
  fs.mkdirSync(results, { recursive: true });
  const name = `${prefix}-${(test?.title ?? "test").replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}`;
  await page.screenshot({ path: path.join(results, `${name}.png`), timeout: 10_000 }).catch(() => undefined);
}
