import * as fs from "node:fs";
import * as path from "node:path";
import { applyEdits, modify, parse, type ParseError } from "jsonc-parser";
import type { Disposable } from "./emitter";
import type { ExtensionContext, LogOutputChannel, TextDocument, VSCode } from "./vscode-types";
import { offerGitignore } from "./gitignore-offer";

// IntelliSense for `import … from "flowline"` with nothing published: the extension copies its own SDK
// declarations (dist/types) into the workspace's Flowline home, `<home>/types/flowline/`, and maps
// "flowline" to them in the workspace's tsconfig.json / jsconfig.json. The file work is plain Node (tested
// in test/unit/types-setup.test.ts); TypesSetUp below wires it to the command and to opened documents.

export const TYPES_SUBDIR = path.join("types", "flowline");
const STAMP = "package.json";

export const DEFAULT_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "commonjs",
    moduleResolution: "node",
    strict: true,
    lib: ["ES2022", "DOM"],
    skipLibCheck: true,
    paths: { flowline: ["./.flowline/types/flowline/index.d.ts"] },
  },
};

export function typesDir(home: string): string {
  return path.join(home, TYPES_SUBDIR);
}

/** The version of the types in `<home>/types/flowline`, or undefined when there are none. */
export function installedTypesVersion(home: string): string | undefined {
  try {
    if (!fs.existsSync(path.join(typesDir(home), "index.d.ts"))) return undefined;
    const stamp = JSON.parse(fs.readFileSync(path.join(typesDir(home), STAMP), "utf8")) as { version?: unknown };
    return typeof stamp.version === "string" ? stamp.version : "";
  } catch {
    return "";
  }
}

/** Copies the SDK's .d.ts files into `<home>/types/flowline` (replacing older ones), with a package.json stamp. */
export function installTypes(sourceDir: string, home: string, version: string): string {
  if (!fs.existsSync(path.join(sourceDir, "index.d.ts"))) throw new Error(`the extension has no SDK types at ${sourceDir}`);
  const dest = typesDir(home);
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(sourceDir, tmp, { recursive: true, filter: (src) => fs.statSync(src).isDirectory() || src.endsWith(".d.ts") });
  fs.writeFileSync(path.join(tmp, STAMP), `${JSON.stringify({ name: "flowline", version, types: "index.d.ts", private: true, description: "Written by the Flowline extension (Flowline: Set Up Types for flowline). Do not edit." }, null, 2)}\n`);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.renameSync(tmp, dest);
  return dest;
}

/** Whether a source text imports or requires "flowline". */
export function importsFlowline(text: string): boolean {
  return /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']flowline["']/.test(text);
}

const CONFIG_NAMES = ["tsconfig.json", "jsconfig.json"];

/** tsconfig.json, else jsconfig.json, in `dir`. */
export function configIn(dir: string): string | undefined {
  return CONFIG_NAMES.map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
}

interface ParsedConfig {
  value: { extends?: unknown; compilerOptions?: { baseUrl?: unknown; paths?: Record<string, unknown> } } | undefined;
  ok: boolean;
}

function parseConfig(text: string): ParsedConfig {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false }) as ParsedConfig["value"];
  return { value, ok: errors.length === 0 && !!value && typeof value === "object" && !Array.isArray(value) };
}

/** Where a config's `paths.flowline` points (resolved against baseUrl, else the config's folder), if it maps it. */
export function mappedFlowline(configFile: string): string | undefined {
  let parsed: ParsedConfig;
  try {
    parsed = parseConfig(fs.readFileSync(configFile, "utf8"));
  } catch {
    return undefined;
  }
  const options = parsed.value?.compilerOptions;
  const target = options?.paths?.flowline;
  const first = Array.isArray(target) ? target[0] : undefined;
  if (typeof first !== "string") return undefined;
  const base = typeof options?.baseUrl === "string" ? path.resolve(path.dirname(configFile), options.baseUrl) : path.dirname(configFile);
  return path.resolve(base, first);
}

function existsAsModule(target: string): boolean {
  return [target, `${target}.ts`, `${target}.d.ts`, path.join(target, "index.d.ts"), path.join(target, "index.ts")].some((f) => fs.existsSync(f));
}

/**
 * Whether "flowline" resolves for a file, roughly as TypeScript would find it: the nearest tsconfig/jsconfig
 * above the file maps it to something that exists, or a node_modules/flowline is on the way up. VS Code's
 * TypeScript looks for the config only up to the workspace folder (`projectRoot`), so the search stops there.
 */
export function flowlineResolves(file: string, projectRoot?: string): boolean {
  let dir = path.dirname(file);
  let configChecked = false;
  const inside = (d: string) => !projectRoot || d === projectRoot || !path.relative(projectRoot, d).startsWith("..");
  for (;;) {
    if (fs.existsSync(path.join(dir, "node_modules", "flowline", "package.json"))) return true;
    if (!configChecked && inside(dir)) {
      const config = configIn(dir);
      if (config) {
        configChecked = true;
        const target = mappedFlowline(config);
        if (target && existsAsModule(target)) return true;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

/** The `paths` entry for the types, relative to the folder TypeScript resolves `paths` from. */
export function mappingPath(fromDir: string, home: string): string {
  const rel = path.relative(fromDir, path.join(typesDir(home), "index.d.ts")).split(path.sep).join("/");
  if (path.isAbsolute(rel)) return rel;
  return rel.startsWith("../") ? rel : `./${rel}`;
}

export type ConfigOutcome =
  | { kind: "created"; file: string }
  | { kind: "updated"; file: string }
  | { kind: "present"; file: string }
  | { kind: "manual"; file: string; reason: string; lines: string };

/**
 * Makes the workspace's tsconfig.json/jsconfig.json map "flowline" to `<home>/types/flowline`: creates a
 * tsconfig.json when there is none, else adds the mapping (keeping comments and every other setting)
 * unless "flowline" is mapped already. A config with "extends", or one that does not parse, is left alone
 * and the outcome says which lines to add.
 */
export function ensureConfigMapping(root: string, home: string): ConfigOutcome {
  const existing = configIn(root);
  if (!existing) {
    const file = path.join(root, "tsconfig.json");
    const config = structuredClone(DEFAULT_TSCONFIG);
    config.compilerOptions.paths.flowline = [mappingPath(root, home)];
    fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    return { kind: "created", file };
  }
  const text = fs.readFileSync(existing, "utf8");
  const parsed = parseConfig(text);
  const manual = (reason: string, fromDir = root): ConfigOutcome => ({
    kind: "manual",
    file: existing,
    reason,
    lines: `"compilerOptions": {\n  "paths": {\n    "flowline": ["${mappingPath(fromDir, home)}"]\n  }\n}`,
  });
  if (!parsed.ok) return manual("it could not be parsed");
  if (mappedFlowline(existing)) return { kind: "present", file: existing };
  if (parsed.value?.extends !== undefined) return manual('it has "extends" (its paths would replace the base config\'s)');
  const baseUrl = parsed.value?.compilerOptions?.baseUrl;
  const fromDir = typeof baseUrl === "string" ? path.resolve(root, baseUrl) : root;
  const paths = parsed.value?.compilerOptions?.paths;
  if (paths !== undefined && (typeof paths !== "object" || paths === null || Array.isArray(paths))) return manual('its "paths" is not an object', fromDir);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = /^( +|\t)"/m.exec(text)?.[1] ?? "  ";
  const edits = modify(text, ["compilerOptions", "paths", "flowline"], [mappingPath(fromDir, home)], {
    formattingOptions: { insertSpaces: !indent.startsWith("\t"), tabSize: indent.startsWith("\t") ? 1 : indent.length, eol },
  });
  fs.writeFileSync(existing, applyEdits(text, edits));
  return { kind: "updated", file: existing };
}

export interface SetUpResult {
  types: string;
  config: ConfigOutcome;
  /** Whether the types were copied (missing, or from another version) by this set-up. */
  installed: boolean;
}

/** Copies the types (when missing or from another version) and maps "flowline" in the workspace root's config. */
export function setUpTypes(options: { sourceDir: string; home: string; root: string; version: string }): SetUpResult {
  const fresh = installedTypesVersion(options.home) !== options.version;
  const types = fresh ? installTypes(options.sourceDir, options.home, options.version) : typesDir(options.home);
  return { types, config: ensureConfigMapping(options.root, options.home), installed: fresh };
}

const LANGUAGES = new Set(["typescript", "typescriptreact", "javascript", "javascriptreact"]);
const AUTO_KEY = "flowline.types.autoSetUpDone";

/** The command and the automatic set-up on opening a file that imports "flowline". */
export class TypesSetUp {
  constructor(
    private readonly vscode: VSCode,
    private readonly context: ExtensionContext,
    private readonly deps: { home: () => string; output: LogOutputChannel; sourceDir?: string },
  ) {}

  private get sourceDir(): string {
    return this.deps.sourceDir ?? path.join(this.context.extensionPath, "dist", "types");
  }

  private get version(): string {
    const pkg = (this.context as { extension?: { packageJSON?: { version?: unknown } } }).extension?.packageJSON;
    return typeof pkg?.version === "string" ? pkg.version : "0.0.0";
  }

  private get root(): string | undefined {
    return this.vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  register(): Disposable[] {
    const { workspace, window } = this.vscode;
    const onOpen = (doc: TextDocument) => void this.maybeAutoSetUp(doc);
    // Types copied by an older version of the extension are refreshed at activation.
    this.refreshStale();
    // (Written to also work with the partial vscode fake of the unit tests.)
    const openNow = () => (window.visibleTextEditors ?? []).forEach((e) => onOpen(e.document));
    openNow();
    return [workspace.onDidOpenTextDocument?.(onOpen), workspace.onDidGrantWorkspaceTrust?.(openNow)].filter((d): d is Disposable => d !== undefined);
  }

  /** `flowline.setUpTypes`: set up and say what was done. Returns the outcome (for callers and tests). */
  async run(options: { quiet?: boolean } = {}): Promise<SetUpResult | undefined> {
    const { window, workspace } = this.vscode;
    const root = this.root;
    if (!root) {
      if (!options.quiet) void window.showInformationMessage("Flowline: open a folder first; the types for \"flowline\" are set up in the workspace folder.");
      return undefined;
    }
    if (!workspace.isTrusted) {
      if (!options.quiet) void window.showInformationMessage("Flowline: setting up the types for \"flowline\" writes to this workspace, which needs a trusted workspace.");
      return undefined;
    }
    const home = this.deps.home();
    const result = setUpTypes({ sourceDir: this.sourceDir, home, root, version: this.version });
    const { config } = result;
    this.deps.output.info(`Types for "flowline" ${this.version} are in ${result.types}; ${path.basename(config.file)}: ${config.kind}.`);
    // A file opened before the types existed keeps "Cannot find module 'flowline'" until the TypeScript
    // server reads the config and the types again.
    if (result.installed || config.kind === "created" || config.kind === "updated") this.restartTsServer();
    void offerGitignore(this.vscode, this.context, home);
    if (config.kind === "manual") {
      const message = `Flowline: the types for "flowline" are in ${path.relative(root, result.types) || result.types}, but ${path.basename(config.file)} was not changed because ${config.reason}. Add this to it:\n${config.lines}`;
      this.deps.output.warn(message);
      if (!options.quiet) {
        const picked = await window.showWarningMessage(message, { modal: false }, "Open " + path.basename(config.file), "Copy Lines");
        if (picked === "Copy Lines") await this.vscode.env.clipboard.writeText(config.lines);
        else if (picked) await window.showTextDocument(this.vscode.Uri.file(config.file));
      }
    } else if (!options.quiet) {
      const what = config.kind === "created" ? `created ${path.basename(config.file)}` : config.kind === "updated" ? `mapped "flowline" in ${path.basename(config.file)}` : `${path.basename(config.file)} already maps "flowline"`;
      void window.showInformationMessage(`Flowline: types for "flowline" are set up (${what}).`);
    }
    return result;
  }

  /** Makes the TypeScript server see new types or mapping (nothing when the TypeScript extension is off). */
  private restartTsServer(): void {
    void Promise.resolve(this.vscode.commands.executeCommand("typescript.restartTsServer")).catch(() => undefined);
  }

  private refreshStale(): void {
    if (!this.vscode.workspace.isTrusted || !this.root) return;
    try {
      const home = this.deps.home();
      const installed = installedTypesVersion(home);
      if (installed !== undefined && installed !== this.version) {
        installTypes(this.sourceDir, home, this.version);
        this.deps.output.info(`Updated the types for "flowline" in ${typesDir(home)} to ${this.version}.`);
        this.restartTsServer();
      }
    } catch (err) {
      this.deps.output.warn(`Could not update the types for "flowline": ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async maybeAutoSetUp(doc: TextDocument): Promise<void> {
    try {
      if (doc.uri.scheme !== "file" || !LANGUAGES.has(doc.languageId)) return;
      if (!this.vscode.workspace.isTrusted || !this.root) return;
      if (this.vscode.workspace.getConfiguration("flowline").get<boolean>("types.autoSetUp") === false) return;
      if (this.context.workspaceState.get<boolean>(AUTO_KEY)) return;
      const folder = this.vscode.workspace.getWorkspaceFolder(doc.uri);
      if (!folder) return;
      if (!importsFlowline(doc.getText()) || flowlineResolves(doc.uri.fsPath, folder.uri.fsPath)) return;
      await this.context.workspaceState.update(AUTO_KEY, true);
      await this.run({ quiet: true });
    } catch (err) {
      this.deps.output.warn(`Setting up the types for "flowline" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
