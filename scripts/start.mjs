// `npm start` (after `npm run package`): opens the examples/ workspace in VS Code with Flowline installed.
//   - Desktop VS Code when its `code` command is on PATH: installs flowline.vsix and runs `code examples`.
//   - Otherwise a browser VS Code: code-server 4.100.3 on 127.0.0.1 (installed into .cache/code-server by
//     test/e2e/install-code-server.sh when missing), with its own user data and extensions under
//     .cache/start. It stays in the foreground until Ctrl-C, then stops code-server and its children.
// Environment: FLOWLINE_START_BROWSER=1 forces the browser path; FLOWLINE_START_PORT picks the port;
// FLOWLINE_START_VSIX and FLOWLINE_START_DIR override the .vsix and the .cache/start folder (tests).
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const examples = path.join(root, "examples");
const vsix = path.resolve(process.env.FLOWLINE_START_VSIX || path.join(root, "flowline.vsix"));
const stateDir = path.resolve(process.env.FLOWLINE_START_DIR || path.join(root, ".cache", "start"));
const codeServerDir = process.env.FLOWLINE_CODE_SERVER_DIR || path.join(root, ".cache", "code-server");
const codeServer = path.join(codeServerDir, "node_modules", ".bin", "code-server");

function fail(message) {
  process.stderr.write(`\nnpm start: ${message}\n`);
  process.exit(1);
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of process.platform === "win32" ? [".cmd", ".exe", ""] : [""]) {
      const file = path.join(dir, name + ext);
      try {
        if (fs.statSync(file).isFile()) {
          if (process.platform !== "win32") fs.accessSync(file, fs.constants.X_OK);
          return file;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

if (!fs.existsSync(vsix)) fail(`${path.relative(root, vsix) || vsix} is missing: run \`npm run package\` first (\`npm start\` does).`);

const code = process.env.FLOWLINE_START_BROWSER ? undefined : onPath("code");
if (code) {
  console.log(`Installing ${path.basename(vsix)} into VS Code (${code})…`);
  const install = spawnSync(code, ["--install-extension", vsix, "--force"], { stdio: "inherit", shell: process.platform === "win32", timeout: 180_000 });
  if (install.status !== 0) fail(`\`code --install-extension ${vsix} --force\` failed (exit ${install.status ?? install.error}).`);
  const open = spawnSync(code, [examples], { stdio: "inherit", shell: process.platform === "win32", timeout: 60_000 });
  if (open.status !== 0) fail(`\`code ${examples}\` failed (exit ${open.status ?? open.error}).`);
  console.log(`\nFlowline is installed and VS Code is opening ${examples}.\nOpen hello_world.ts and click "▶ Run flow" above the flow.`);
  process.exit(0);
}

// The browser path: code-server.
if (!fs.existsSync(codeServer) || !fs.readdirSync(codeServerDir).some((f) => f.startsWith(".installed-"))) {
  const missing = [];
  if (!onPath("rg")) missing.push("ripgrep");
  if (!onPath("krb5-config")) missing.push("libkrb5-dev");
  if (!onPath("make") || !onPath("g++")) missing.push("build-essential");
  if (!onPath("python3")) missing.push("python3");
  if (missing.length) {
    fail(
      `VS Code's \`code\` command is not on PATH, so Flowline runs in a browser VS Code (code-server), which needs ${missing.join(", ")} to install. Run:\n\n    ${process.getuid?.() === 0 ? "" : "sudo "}apt-get install -y ${missing.join(" ")}\n\nthen \`npm start\` again. (Or install VS Code and put its \`code\` command on PATH.)`,
    );
  }
  console.log(`Installing code-server into ${codeServerDir} (once; a few minutes)…`);
  const r = spawnSync("bash", [path.join(root, "test", "e2e", "install-code-server.sh")], { stdio: "inherit", timeout: 20 * 60_000 });
  if (r.status !== 0) fail(`installing code-server failed (exit ${r.status ?? r.error}); see the output above.`);
}

const userData = path.join(stateDir, "user-data");
const extensions = path.join(stateDir, "extensions");
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
const settingsFile = path.join(userData, "User", "settings.json");
if (!fs.existsSync(settingsFile)) {
  fs.writeFileSync(settingsFile, `${JSON.stringify({ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none", "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false }, null, 2)}\n`);
}
console.log(`Installing ${path.basename(vsix)} into code-server…`);
const inst = spawnSync(codeServer, ["--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", vsix, "--force"], { encoding: "utf8", timeout: 180_000 });
if (inst.status !== 0) fail(`installing ${vsix} into code-server failed: ${inst.stderr || inst.stdout || inst.error}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(Number(process.env.FLOWLINE_START_PORT) || 0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const port = await freePort().catch((err) => fail(`no free port on 127.0.0.1: ${err.message}`));
const logFile = path.join(stateDir, "code-server.log");
const log = fs.openSync(logFile, "w");
const server = spawn(
  codeServer,
  ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--user-data-dir", userData, "--extensions-dir", extensions, examples],
  // Its own process group, so stopping it also stops its extension host, watchers and the flows they run.
  { detached: true, stdio: ["ignore", log, log] },
);
fs.closeSync(log);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (server.exitCode === null && server.signalCode === null) {
    console.log("\nStopping code-server…");
    const exited = new Promise((resolve) => server.once("exit", resolve));
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // gone already
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    try {
      process.kill(-server.pid, "SIGKILL"); // whatever is left of the group
    } catch {
      // all gone
    }
  }
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
process.on("SIGHUP", () => void stop(0));
server.on("exit", (c, signal) => {
  if (stopping) return;
  process.stderr.write(`code-server exited (${signal ?? `code ${c}`}); its log is ${logFile}\n`);
  stopping = true;
  process.exit(1);
});

const deadline = Date.now() + 90_000;
for (;;) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    if (res.status < 500) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    process.stderr.write(`code-server did not answer on 127.0.0.1:${port} within 90 s; its log is ${logFile}\n`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
const url = `http://127.0.0.1:${port}/?folder=${examples}`;
console.log(`\nFlowline is running in VS Code at ${url} — open it in your browser; Ctrl-C to stop.`);
console.log(`Open hello_world.ts and click "▶ Run flow" above the flow. (code-server's log: ${path.relative(root, logFile)})\n`);
