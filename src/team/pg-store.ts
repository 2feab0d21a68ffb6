import type { StoreApi } from "../store/api";
import { StoreLookupError } from "../store/reads";
import type * as T from "../store/types";
import { TERMINAL_STATES, type StateType } from "../shared/events";
import type { PgPool } from "./drivers";
import { teamPool } from "./pg-pool";
import { CHANGES_CHANNEL } from "./pg-schema";
import * as Row from "./pg-rows";

// The store's interface over PostgreSQL (team mode). Writes come from the flow processes and workers
// (pg-writer.ts); this side reads, and makes the few changes a user asks for (delete, mark, prune).
// Every method is one or two statements: the database does the work the local store's segments do.

const TERMINAL = [...TERMINAL_STATES];

export async function openPgStore(home: string, url: string): Promise<PgStore> {
  return new PgStore(home, url, await teamPool(url));
}

export class PgStore implements StoreApi {
  constructor(
    readonly home: string,
    readonly url: string,
    private readonly pool: PgPool,
  ) {}

  /** Nothing to fold: every acknowledged write is already committed. */
  async sync(): Promise<T.SyncResult> {
    return { eventsFolded: 0, journalsRemoved: 0, runsCrashed: 0, malformedLines: 0, wrote: false };
  }

  async listFlowRuns(opts: T.ListFlowRunsOptions = {}): Promise<T.FlowRun[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.flowName !== undefined) where.push(`f.flow_name = $${args.push(opts.flowName)}`);
    if (opts.topLevel) where.push("f.parent_flow_run_id IS NULL");
    const limit = opts.limit === undefined ? "" : ` LIMIT $${args.push(Math.max(0, Math.floor(opts.limit)))}`;
    const offset = opts.offset ? ` OFFSET $${args.push(Math.max(0, Math.floor(opts.offset)))}` : "";
    const sql = `${Row.FLOW_SELECT}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY f.created DESC, f.id DESC${limit}${offset}`;
    return (await this.pool.query(sql, args)).rows.map(Row.flowRunOf);
  }

  async getFlowRun(idOrPrefix: string, opts: { taskLimit?: number } = {}): Promise<T.FlowRunDetail> {
    const id = await this.locate(idOrPrefix);
    const flow = (await this.pool.query(`${Row.FLOW_SELECT} WHERE f.id = $1`, [id])).rows[0];
    if (!flow) throw new StoreLookupError(`No flow run has the id "${id}". List runs with "flowline runs ls".`, "not-found");
    const [taskRuns, subflows] = await Promise.all([
      this.listTaskRuns(id, { limit: opts.taskLimit ?? 1000 }),
      this.pool.query(`${Row.FLOW_SELECT} WHERE f.parent_flow_run_id = $1 ORDER BY f.created, f.id`, [id]),
    ]);
    return { flowRun: Row.flowRunOf(flow), taskRuns, subflowRuns: subflows.rows.map(Row.flowRunOf) };
  }

  private async locate(idOrPrefix: string): Promise<string> {
    const wanted = idOrPrefix.trim();
    if (wanted === "") throw new StoreLookupError("No flow run id given. Pass an id (or its first characters).", "invalid");
    const rows = (await this.pool.query<{ id: string; name: string }>(
      "SELECT id, name FROM flow_runs WHERE id = $1 UNION ALL (SELECT id, name FROM flow_runs WHERE starts_with(id, $1) AND id <> $1 ORDER BY id LIMIT 6)",
      [wanted],
    )).rows;
    if (rows[0]?.id === wanted) return wanted;
    if (rows.length === 0) throw new StoreLookupError(`No flow run has an id starting with "${wanted}". List runs with "flowline runs ls".`, "not-found");
    if (rows.length > 1) {
      const shown = rows.slice(0, 5).map((r) => `${r.id} (${r.name})`);
      throw new StoreLookupError(`"${wanted}" matches more than one flow run: ${shown.join(", ")}${rows.length > 5 ? ", …" : ""}. Give more characters of the id.`, "ambiguous");
    }
    return rows[0].id;
  }

  async listTaskRuns(flowRunId: string, opts: T.ListTaskRunsOptions = {}): Promise<T.TaskRun[]> {
    const args: unknown[] = [flowRunId];
    const state = opts.state === undefined ? "" : ` AND state_type = $${args.push(opts.state)}`;
    const sql = `SELECT * FROM task_runs WHERE flow_run_id = $1${state} ORDER BY seq LIMIT $${args.push(opts.limit ?? 100)} OFFSET $${args.push(opts.offset ?? 0)}`;
    return (await this.pool.query(sql, args)).rows.map(Row.taskRunOf);
  }

  async getTaskRun(flowRunId: string, taskRunId: string): Promise<T.TaskRun | undefined> {
    const row = (await this.pool.query("SELECT * FROM task_runs WHERE id = $1 AND flow_run_id = $2", [taskRunId, flowRunId])).rows[0];
    return row ? Row.taskRunOf(row) : undefined;
  }

  async getStateHistory(runId: string): Promise<T.StateHistoryEntry[]> {
    return (await this.pool.query("SELECT * FROM states WHERE run_id = $1 ORDER BY seq", [runId])).rows.map(Row.stateOf);
  }

  async getLogs(opts: T.GetLogsOptions): Promise<T.LogEntry[]> {
    const args: unknown[] = [opts.flowRunId, opts.afterSeq ?? 0];
    const task = opts.taskRunId === undefined ? "" : ` AND task_run_id = $${args.push(opts.taskRunId)}`;
    const limit = opts.limit === undefined ? "" : ` LIMIT $${args.push(opts.limit)}`;
    const sql = `SELECT * FROM (SELECT * FROM logs WHERE flow_run_id = $1 AND seq > $2${task} ORDER BY seq DESC${limit}) l ORDER BY seq`;
    return (await this.pool.query(sql, args)).rows.map(Row.logOf);
  }

  async listArtifacts(opts: T.ListArtifactsOptions = {}): Promise<T.Artifact[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.key !== undefined) where.push(`key = $${args.push(opts.key)}`);
    if (opts.type !== undefined) where.push(`type = $${args.push(opts.type)}`);
    if (opts.flowRunId !== undefined) where.push(`flow_run_id = $${args.push(opts.flowRunId)}`);
    if (opts.taskRunId !== undefined) where.push(`task_run_id = $${args.push(opts.taskRunId)}`);
    if (opts.keyed === true || opts.latestOnly) where.push("key IS NOT NULL");
    if (opts.keyed === false) where.push("key IS NULL");
    if (opts.latestOnly) where.push("seq = (SELECT max(seq) FROM artifacts v WHERE v.key = a.key)");
    if (opts.text) {
      const n = args.push(`%${opts.text.replace(/[\\%_]/g, "\\$&")}%`);
      where.push(`(key ILIKE $${n} OR description ILIKE $${n} OR data::text ILIKE $${n})`);
    }
    const limit = opts.limit === undefined ? "" : ` LIMIT $${args.push(opts.limit)}`;
    const offset = opts.offset ? ` OFFSET $${args.push(opts.offset)}` : "";
    const sql = `${Row.artifactSelect(opts.includeData !== false)} FROM artifacts a${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC${limit}${offset}`;
    return (await this.pool.query(sql, args)).rows.map(Row.artifactOf);
  }

  async getArtifactVersions(key: string, opts: T.ArtifactVersionsOptions = {}): Promise<T.Artifact[]> {
    return this.listArtifacts({ key, limit: opts.limit, includeData: opts.includeData });
  }

  async listArtifactKeys(opts: T.ArtifactKeysOptions = {}): Promise<T.ArtifactKeySummary[]> {
    const args: unknown[] = [];
    const type = opts.type === undefined ? "" : ` AND a.type = $${args.push(opts.type)}`;
    const limit = opts.limit === undefined ? "" : ` LIMIT $${args.push(opts.limit)}`;
    const offset = opts.offset ? ` OFFSET $${args.push(opts.offset)}` : "";
    const sql =
      `${Row.artifactSelect(opts.includeData === true)}, k.versions FROM artifacts a ` +
      `JOIN (SELECT key, max(seq) AS latest, count(*)::int AS versions FROM artifacts WHERE key IS NOT NULL GROUP BY key) k ON a.seq = k.latest` +
      ` WHERE true${type} ORDER BY a.seq DESC${limit}${offset}`;
    return (await this.pool.query(sql, args)).rows.map((r) => ({ key: r.key as string, versions: r.versions as number, latest: Row.artifactOf(r) }));
  }

  async getArtifact(id: string, opts: { includeData?: boolean } = {}): Promise<T.Artifact | undefined> {
    const row = (await this.pool.query(`${Row.artifactSelect(opts.includeData !== false)} FROM artifacts a WHERE id = $1`, [id])).rows[0];
    return row ? Row.artifactOf(row) : undefined;
  }

  async findArtifact(idOrPrefix: string): Promise<T.Artifact> {
    const wanted = idOrPrefix.trim();
    if (wanted === "") throw new StoreLookupError("No artifact id given. Pass an id (or its first characters).", "invalid");
    const rows = (await this.pool.query(`${Row.artifactSelect(true)} FROM artifacts a WHERE starts_with(id, $1) ORDER BY (id = $1) DESC, id LIMIT 6`, [wanted])).rows;
    if (rows[0]?.id === wanted || rows.length === 1) return Row.artifactOf(rows[0]);
    if (rows.length === 0) throw new StoreLookupError(`No artifact has an id starting with "${wanted}". List them with "flowline artifacts ls --all".`, "not-found");
    const shown = rows.slice(0, 5).map((r) => (r.key ? `${r.id} (${r.key})` : String(r.id)));
    throw new StoreLookupError(`"${wanted}" matches more than one artifact: ${shown.join(", ")}${rows.length > 5 ? ", …" : ""}. Give more characters of the id.`, "ambiguous");
  }

  /** The bytes the team's rows take in the database (there is no local home to measure). */
  async homeSize(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>("SELECT pg_database_size(current_database()) AS n")).rows[0].n);
  }

  async prune(opts: T.PruneOptions): Promise<T.PruneResult> {
    const now = opts.now ?? new Date();
    const days = opts.all ? 0 : opts.olderThanDays ?? 0;
    const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const ended = "SELECT id FROM flow_runs WHERE state_type = ANY($1) AND end_time < $2";
      const count = async (sql: string) => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, [TERMINAL, cutoff])).rows[0].n);
      const res: T.PruneResult = {
        cutoff,
        dryRun: opts.dryRun === true,
        flowRuns: await count(`(${ended}) r`),
        taskRuns: await count(`task_runs WHERE flow_run_id IN (${ended})`),
        states: await count(`states WHERE run_id IN (${ended}) OR run_id IN (SELECT id FROM task_runs WHERE flow_run_id IN (${ended}))`),
        logs: await count(`logs WHERE flow_run_id IN (${ended})`),
        artifacts: await count(`artifacts WHERE flow_run_id IN (${ended})`),
      };
      // Result rows of the deleted runs (results kept in this database), unless a live cache entry uses them.
      const resultRows =
        `results WHERE key IN (SELECT result_key FROM task_runs WHERE flow_run_id IN (${ended}) UNION SELECT result_key FROM flow_runs WHERE id IN (${ended})) ` +
        `AND key NOT IN (SELECT storage_key FROM cache_entries WHERE expires_at IS NULL OR expires_at > '${now.toISOString()}')`;
      if (opts.results) res.resultFiles = await count(resultRows);
      if (!opts.dryRun) {
        if (opts.results) await client.query(`DELETE FROM ${resultRows}`, [TERMINAL, cutoff]);
        for (const sql of [
          `DELETE FROM states WHERE run_id IN (${ended}) OR run_id IN (SELECT id FROM task_runs WHERE flow_run_id IN (${ended}))`,
          `DELETE FROM logs WHERE flow_run_id IN (${ended})`,
          `DELETE FROM artifacts WHERE flow_run_id IN (${ended})`,
          `DELETE FROM task_runs WHERE flow_run_id IN (${ended})`,
          `DELETE FROM flow_runs WHERE id IN (${ended})`,
        ]) await client.query(sql, [TERMINAL, cutoff]);
        await client.query("SELECT pg_notify($1, 'runs,artifacts')", [CHANGES_CHANNEL]);
      }
      await client.query(opts.dryRun ? "ROLLBACK" : "COMMIT");
      return res;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Marks a flow run, its subflow runs and their task runs that have not ended (after its process died). */
  async markRuns(flowRunId: string, type: Extract<StateType, "Crashed" | "Cancelled">, message: string): Promise<number> {
    const ts = new Date().toISOString();
    const open = (await this.pool.query<{ id: string; kind: "flow" | "task" }>(
      `WITH RECURSIVE tree(id) AS (SELECT $1::text UNION SELECT f.id FROM flow_runs f JOIN tree t ON f.parent_flow_run_id = t.id)
       SELECT id, 'flow' AS kind FROM flow_runs WHERE id IN (SELECT id FROM tree) AND NOT (state_type = ANY($2))
       UNION ALL SELECT id, 'task' FROM task_runs WHERE flow_run_id IN (SELECT id FROM tree) AND NOT (state_type = ANY($2))`,
      [flowRunId, TERMINAL],
    )).rows;
    if (open.length === 0) return 0;
    const events = open.map((r) => ({ e: "state", kind: r.kind, id: r.id, type, name: type, message, ts }));
    await this.pool.query("SELECT flowline_apply($1::json), pg_notify($2, 'runs')", [JSON.stringify(events), CHANGES_CHANNEL]);
    return open.length;
  }

  async deleteArtifact(id: string): Promise<boolean> {
    const n = (await this.pool.query("WITH d AS (DELETE FROM artifacts WHERE id = $1 RETURNING 1) SELECT count(*)::int AS n, pg_notify($2, 'artifacts') FROM d", [id, CHANGES_CHANNEL])).rows[0].n as number;
    return n > 0;
  }

  async deleteArtifactKey(key: string): Promise<number> {
    return (await this.pool.query("WITH d AS (DELETE FROM artifacts WHERE key = $1 RETURNING 1) SELECT count(*)::int AS n, pg_notify($2, 'artifacts') FROM d", [key, CHANGES_CHANNEL])).rows[0].n as number;
  }

  /** The pool is the process's (pg-pool.ts); a CLI command ends it when it is done. */
  close(): void {}
}
