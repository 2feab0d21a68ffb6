import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findHome } from "../shared/home";

// Flowline's settings, read through a getter so this file needs no vscode (extension.ts passes
// `workspace.getConfiguration("flowline").get`). Every value is checked: a wrong type falls back to the
// default rather than breaking a run.

export type RevealOutput = "always" | "onFailure" | "never";
/** `flowline.durability`: what a run's writes promise across power loss (FLOWLINE_DURABILITY). */
export type DurabilitySetting = "run" | "fsync";

export interface Settings {
  /** `flowline.home`: the home folder, absolute or relative to the workspace folder ("" = default). */
  home: string;
  nodePath: string;
  env: Record<string, string>;
  codeLensEnabled: boolean;
  cancelGraceSeconds: number;
  /** 0 keeps every run. */
  retentionDays: number;
  showProgressNotification: boolean;
  revealOutput: RevealOutput;
  runsLimit: number;
  /** Keep one flow process started ahead, so ▶ Run flow starts sooner. */
  warmStart: boolean;
  durability: DurabilitySetting;
  /** `flowline.databaseUrl`: team mode's PostgreSQL (FLOWLINE_DATABASE_URL); "" = the local store. */
  databaseUrl: string;
}

export type SettingGetter = <T>(key: string) => T | undefined;

export function readSettings(get: SettingGetter): Settings {
  const env: Record<string, string> = {};
  const rawEnv = get<unknown>("env");
  if (rawEnv && typeof rawEnv === "object") {
    for (const [k, v] of Object.entries(rawEnv)) if (v !== null && v !== undefined) env[k] = String(v);
  }
  const reveal = get<string>("revealOutput");
  return {
    home: str(get("home")),
    nodePath: str(get("nodePath")),
    env,
    codeLensEnabled: get<boolean>("codeLens.enabled") !== false,
    cancelGraceSeconds: num(get("cancelGraceSeconds"), 5, 0, 600),
    retentionDays: num(get("retentionDays"), 0, 0, 100_000),
    showProgressNotification: get<boolean>("showProgressNotification") !== false,
    revealOutput: reveal === "onFailure" || reveal === "never" ? reveal : "always",
    runsLimit: Math.round(num(get("runsTree.limit"), 100, 1, 10_000)),
    warmStart: get<boolean>("warmStart") !== false,
    durability: get<string>("durability") === "fsync" ? "fsync" : "run",
    databaseUrl: str(get("databaseUrl")),
  };
}

function str(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

function num(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/**
 * The home folder for a window: the `flowline.home` setting (relative to the workspace folder), else the
 * CLI's rule (findHome) from the first workspace folder, so a terminal run of a flow in this window lands
 * where the window looks; with no folder open, `~/.flowline`.
 */
/** Team mode's database: the setting, else $FLOWLINE_DATABASE_URL; undefined for the local store. */
export function teamDatabaseUrl(settings: Pick<Settings, "databaseUrl">, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return settings.databaseUrl || env.FLOWLINE_DATABASE_URL?.trim() || undefined;
}

export function resolveHomeFolder(settings: Pick<Settings, "home">, workspaceFolder: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const base = workspaceFolder ?? os.homedir();
  const configured = settings.home || env.FLOWLINE_HOME?.trim() || "";
  if (configured) return path.resolve(base, configured.replace(/^~(?=$|[\\/])/, os.homedir()));
  if (!workspaceFolder) return path.join(base, ".flowline");
  return findHome({ start: workspaceFolder, root: workspaceFolder, rootLabel: "the workspace folder", env: {} }).home;
}

/** The environment variables a run gets on top of the extension host's own. */
export function runEnvironment(settings: Pick<Settings, "env" | "retentionDays"> & Partial<Pick<Settings, "durability" | "databaseUrl">>): Record<string, string> {
  const env = { ...settings.env };
  if (settings.databaseUrl) env.FLOWLINE_DATABASE_URL = settings.databaseUrl;
  if (settings.retentionDays > 0) env.FLOWLINE_RETENTION_DAYS = String(settings.retentionDays);
  if (settings.durability === "fsync") env.FLOWLINE_DURABILITY = "fsync";
  return env;
}

export interface NodeRuntime {
  command: string;
  /** Extra environment for this runtime (VS Code's own needs ELECTRON_RUN_AS_NODE=1 to act as node). */
  env: Record<string, string>;
  source: "setting" | "path" | "vscode";
}

/**
 * The node that runs flows: `flowline.nodePath`, else `node` on PATH, else VS Code's own runtime. A
 * setting that points nowhere is an error (silently running another node would hide the mistake).
 */
export function resolveNodeRuntime(nodePath: string, env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): NodeRuntime {
  if (nodePath) {
    const resolved = nodePath.replace(/^~(?=$|[\\/])/, os.homedir());
    if (!isExecutable(resolved)) {
      throw new Error(`flowline.nodePath is "${nodePath}", which is not an executable file. Fix the setting, or clear it to use node from PATH.`);
    }
    return { command: resolved, env: {}, source: "setting" };
  }
  const onPath = findOnPath(process.platform === "win32" ? "node.exe" : "node", env.PATH ?? env.Path ?? "");
  if (onPath) return { command: onPath, env: {}, source: "path" };
  return { command: execPath, env: { ELECTRON_RUN_AS_NODE: "1" }, source: "vscode" };
}

export function findOnPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
