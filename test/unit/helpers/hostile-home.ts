import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { journalDir } from "../../../src/shared/home";

// A Flowline home as an untrusted workspace could ship it: one journal whose every text field carries
// terminal escape sequences and markdown that would load or open something, and whose paths point out
// of the workspace. The store folds it like any other journal; nothing here goes through the SDK, which
// would refuse much of it (keys, storage keys) at the source.

export const ESC = {
  clear: "\u001b[2J\u001b[H",
  title: "\u001b]0;pwned\u0007",
  clipboard: "\u001b]52;c;cHduZWQ=\u0007",
  c1: "\u009b2J",
  del: "\u007f",
  cr: "\rFAKE",
};
/** Everything a terminal would act on, in one string. */
export const ALL_ESC = Object.values(ESC).join("");
export const TRACKER = "https://tracker.test/pixel.png";
export const MARKDOWN_TRAPS = `![seen](${TRACKER}) [passwd](file:///etc/passwd) <file:///etc/shadow> [cmd](command:workbench.action.quit)`;

export const IDS = {
  flowRun: "f1000000-0000-4000-8000-00000000e5c0",
  taskRun: "71000000-0000-4000-8000-00000000e5c0",
  markdown: "a1000000-0000-4000-8000-00000000e5c0",
  table: "a2000000-0000-4000-8000-00000000e5c0",
};

export const T = "2025-03-01T10:00:00.000Z";

export interface HostileHome {
  /** The workspace folder; the home is its `.flowline`. */
  workspace: string;
  home: string;
  /** A file beside the workspace that nothing may open: the target of every path that escapes. */
  secret: string;
  /** A flow file outside the workspace that the journal says its run came from. */
  outsideFlow: string;
  cleanup(): void;
}

/** `secret`: an absolute path outside the workspace; the flow run's result key climbs out to it with "..". */
export function hostileEvents(secret: string, outsideFlow: string): Record<string, unknown>[] {
  return [
    {
      e: "flow_run",
      id: IDS.flowRun,
      name: `evil${ALL_ESC}run`,
      flowName: `flow${ESC.clear}name ${MARKDOWN_TRAPS}`,
      parameters: { note: `p${ALL_ESC}`, md: MARKDOWN_TRAPS, fence: "```\n![in](https://tracker.test/fence.png)\n```" },
      tags: [],
      created: T,
      expectedStartTime: T,
      file: outsideFlow,
      pid: 1,
    },
    { e: "state", kind: "flow", id: IDS.flowRun, type: "Running", name: "Running", ts: T },
    {
      e: "task_run",
      id: IDS.taskRun,
      flowRunId: IDS.flowRun,
      name: `task${ESC.c1}${ESC.title} \`x\` ${MARKDOWN_TRAPS}`,
      taskName: `t${ESC.del}`,
      parameters: {},
      tags: [],
      created: T,
    },
    { e: "state", kind: "task", id: IDS.taskRun, type: "Completed", name: `Done${ESC.clipboard}`, ts: T, resultKey: secret },
    { e: "log", flowRunId: IDS.flowRun, level: `INFO${ESC.clear}`, message: `line one${ESC.title}\nline two${ESC.c1}`, ts: T },
    {
      e: "artifact",
      id: IDS.markdown,
      key: `evil-key${ESC.clear}`,
      type: "markdown",
      data: `# Report${ESC.clipboard}\n${MARKDOWN_TRAPS}`,
      description: `desc${ESC.title} ${MARKDOWN_TRAPS}`,
      flowRunId: IDS.flowRun,
      created: T,
    },
    {
      e: "artifact",
      id: IDS.table,
      type: "table",
      data: { columns: [`col${ESC.clear}`], rows: [[`cell${ESC.clipboard}`], [`${ESC.c1}x`]] },
      description: MARKDOWN_TRAPS,
      flowRunId: IDS.flowRun,
      created: T,
    },
    {
      e: "state",
      kind: "flow",
      id: IDS.flowRun,
      type: "Failed",
      name: `Failed${ESC.title}`,
      message: `boom${ESC.clipboard}\n${MARKDOWN_TRAPS}`,
      ts: T,
      resultKey: `../../../${path.basename(secret)}`,
    },
    { e: "close", ts: T },
  ];
}

/** A workspace with the hostile journal in `.flowline/journal/`, not yet folded. */
export function hostileHome(): HostileHome {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-hostile-"));
  const workspace = path.join(root, "workspace");
  const home = path.join(workspace, ".flowline");
  const secret = path.join(root, "secret.txt");
  const outsideFlow = path.join(root, "outside-flow.ts");
  fs.mkdirSync(journalDir(home), { recursive: true });
  fs.writeFileSync(secret, "not for the workspace\n");
  fs.writeFileSync(outsideFlow, 'import { flow } from "flowline";\nexport const f = flow(async () => 1);\n');
  // From <home>/storage, ../../../secret.txt is <root>/secret.txt.
  const events = hostileEvents(secret, outsideFlow);
  fs.writeFileSync(path.join(journalDir(home), "1-hostile.ndjson"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return { workspace, home, secret, outsideFlow, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
