// End to end, team mode in a real VS Code (code-server 4.100.3) with the packaged .vsix installed: the
// workspace points `flowline.databaseUrl` at a private PostgreSQL cluster, and a run that "another
// machine" (its own folder and home, sharing only the URL) starts with the CLI shows in the Flow Runs tree
// within a second of that CLI's exit, told by LISTEN/NOTIFY, with no refresh and no click on the tree.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { startCli } from "../faults/helpers";
import { freshDatabase, stopCluster } from "../team/cluster";
import { machine, type Machine } from "../team/team-helpers";
import { screenshotAfter, startPackagedSession, stopAll, suiteWatchdog, type Session } from "./code-server";
import { eventually, showFlowRuns, treeItem } from "./workbench";

const LIVE_WITHIN_MS = 1000;
const FLOW_RUN_ROW = /^Flow run report /;
const WAIT_MS = 15_000;

/** A measured delay for the messages; NaN is a row that never showed. */
const ms = (n: number): string => (Number.isNaN(n) ? `never (waited ${WAIT_MS} ms)` : `${n} ms`);

/**
 * Records, in the page, when each Flow Runs row label first appears (Date.now(), the same clock as this
 * process): a row's label carries its state, so a run's Completed row has a time of its own.
 */
async function recordRowLabels(page: Page): Promise<void> {
  // A string, not a function: tsx compiles functions with helpers (__name) that the page does not have.
  await page.evaluate(`(() => {
    const pattern = new RegExp(${JSON.stringify(FLOW_RUN_ROW.source)});
    const seen = (window.flowlineRowsSeen = {});
    const scan = () => {
      for (const row of document.querySelectorAll(".pane-body [role=treeitem]")) {
        const label = row.getAttribute("aria-label") ?? "";
        if (pattern.test(label) && !(label in seen)) seen[label] = Date.now();
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
    scan();
  })()`);
}

function rowLabelsSeen(page: Page): Promise<Record<string, number>> {
  return page.evaluate("({ ...window.flowlineRowsSeen })");
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const { Client } = await import("pg");
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Whether the extension host holds its LISTEN connection (pg-listen.ts names it flowline-listen). */
async function editorListens(url: string): Promise<boolean> {
  const rows = await query<{ n: number }>(
    url,
    "select count(*)::int as n from pg_stat_activity where application_name = 'flowline-listen' and datname = current_database() and query ilike 'LISTEN%'",
  );
  return rows[0].n > 0;
}

describe("Team mode in a real VS Code (code-server)", function () {
  this.timeout(120_000);
  let session: Session;
  let fixture: string;
  let url: string;
  let other: Machine;
  let disarm: (() => void) | undefined;

  before(async function () {
    this.timeout(20 * 60_000);
    // Armed here, not when mocha loads the file: in the whole e2e run this suite starts after the others.
    disarm = suiteWatchdog("the team suite", 20);
    url = await freshDatabase();
    other = machine("other", url, ["report.ts"]);
    // The editor's workspace holds no flow and no runs: what it shows can only come from the database.
    fixture = fs.mkdtempSync(path.join(os.tmpdir(), "flowline-e2e-team-"));
    fs.mkdirSync(path.join(fixture, ".vscode"));
    fs.writeFileSync(path.join(fixture, ".vscode", "settings.json"), JSON.stringify({ "flowline.databaseUrl": url }, null, 2));
    // The setting alone puts the editor in team mode: no FLOWLINE_DATABASE_URL in code-server's environment.
    session = await startPackagedSession("team", { fixture, env: { FLOWLINE_HOME: "", FLOWLINE_DATABASE_URL: "" } });
  });

  afterEach(function () {
    return screenshotAfter(this.currentTest, session?.page, "team");
  });

  after(async function () {
    this.timeout(60_000);
    disarm?.();
    await stopAll();
    stopCluster();
    for (const dir of [fixture, other?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`shows a run that another machine started with the CLI, Completed, within ${LIVE_WITHIN_MS} ms of the CLI's exit`, async () => {
    const { page } = session;
    await showFlowRuns(page); // the one click: the activity bar's Flowline icon
    await page.locator(".welcome-view-content", { hasText: "No flow runs yet" }).waitFor({ timeout: 60_000 });
    // Activation and the first connection share two cores: the measure starts once the editor listens.
    await eventually(() => editorListens(url), 60_000, "the extension host to LISTEN on the team database");
    await recordRowLabels(page);

    // The plain command, as a user on the other machine types it.
    const { proc, done } = startCli(["run", "report.ts", "--param", "who=eve"], other.dir, other.env, 90_000);
    let exitedAt = 0;
    proc.once("exit", () => (exitedAt = Date.now()));
    const result = await done;
    assert.equal(result.code, 0, `flowline run on the other machine failed:\n${result.stderr}\n${result.stdout}`);
    const name = /Beginning flow run '([^']+)'/.exec(result.stderr)?.[1];
    assert.ok(name, `the CLI named no flow run:\n${result.stderr}`);
    const completed = `Flow run report ${name}, Completed`;

    // Bounded well past the promise, so a slow refresh fails with its figure rather than a bare timeout.
    await eventually(async () => completed in (await rowLabelsSeen(page)), WAIT_MS, `the row "${completed}"`).catch(() => undefined);
    const seen = await rowLabelsSeen(page);
    const firstRow = Math.min(...Object.values(seen));
    const rowMs = Number.isFinite(firstRow) ? firstRow - exitedAt : Number.NaN;
    const completedMs = completed in seen ? seen[completed] - exitedAt : Number.NaN;
    // Also from the end time the other machine stored (same clock here): how long the final state took to show.
    const [{ end_time: endTime }] = await query<{ end_time: string }>(url, "select end_time from flow_runs where name = $1", [name]);
    const sinceEndMs = completedMs + exitedAt - Date.parse(endTime);
    process.stdout.write(
      `      team e2e: the other machine's run showed ${ms(rowMs)}, and Completed ${ms(completedMs)}, after its CLI exited ` +
        `(Completed ${ms(sinceEndMs)} after the run's stored end time; the CLI took ${result.ms} ms)\n`,
    );
    assert.ok(
      rowMs <= LIVE_WITHIN_MS,
      `the run's row showed ${ms(rowMs)} after the CLI exited (limit ${LIVE_WITHIN_MS} ms); rows seen: ${JSON.stringify(seen)}`,
    );
    assert.ok(
      completedMs <= LIVE_WITHIN_MS,
      `the run showed Completed ${ms(completedMs)} after the CLI exited (limit ${LIVE_WITHIN_MS} ms); rows seen: ${JSON.stringify(seen)}`,
    );
    // And it is on screen now, by its name, with its final state.
    await treeItem(page, new RegExp(`^Flow run report ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, Completed$`)).waitFor({
      timeout: 5_000,
    });
  });
});
