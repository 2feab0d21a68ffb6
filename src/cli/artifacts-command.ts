import { UserError } from "../engine/errors";
import type { ArtifactType } from "../engine/events";
import { resolveHome } from "../engine/home";
import type { Artifact } from "../store";
import { parse } from "./args";
import { artifactJson, formatTime, printJson, table } from "./format";
import { openCliStore } from "./store";

const USAGE =
  "flowline artifacts ls [--all] [--key K] [--type T] [--flow-run ID] [--json] | artifacts inspect <key> [--json] | artifacts rm <key> | --id <id>";
const TYPES: readonly ArtifactType[] = ["table", "markdown", "link", "progress", "image"];

export async function artifactsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "ls") return artifactsLs(rest);
  if (sub === "inspect") return artifactsInspect(rest);
  if (sub === "rm") return artifactsRm(rest);
  throw new UserError(`Unknown artifacts command ${sub === undefined ? "(none)" : `'${sub}'`}. Usage: ${USAGE}`);
}

function preview(a: Artifact): string {
  const text = typeof a.data === "string" ? a.data : JSON.stringify(a.data) ?? "";
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 48 ? `${flat.slice(0, 47)}…` : flat;
}

async function artifactsLs(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { all: { type: "boolean" }, key: { type: "string" }, type: { type: "string" }, "flow-run": { type: "string" }, json: { type: "boolean" } },
    USAGE,
  );
  if (positionals.length > 0) throw new UserError(`artifacts ls takes only options. Usage: ${USAGE}`);
  const type = values.type as string | undefined;
  if (type !== undefined && !TYPES.includes(type as ArtifactType)) {
    throw new UserError(`--type must be one of ${TYPES.join(", ")}, not '${type}'.`);
  }
  const store = await openCliStore(resolveHome());
  await store.sync();
  let flowRunId = values["flow-run"] as string | undefined;
  if (flowRunId !== undefined) flowRunId = store.getFlowRun(flowRunId).flowRun.id;
  // As Prefect's `artifact ls`: the latest of each key, unless --all or a flow run is asked for.
  const latestOnly = !values.all && flowRunId === undefined;
  const artifacts = store.listArtifacts({ key: values.key as string | undefined, type: type as ArtifactType | undefined, flowRunId, latestOnly });
  store.close();
  if (values.json) printJson(artifacts.map(artifactJson));
  else if (artifacts.length === 0) process.stdout.write("No artifacts found.\n");
  else {
    process.stdout.write(
      `${table(
        ["ID", "KEY", "TYPE", "CREATED", "DATA"],
        artifacts.map((a) => [a.id.slice(0, 8), a.key ?? "-", a.type, formatTime(a.created), preview(a)]),
      )}\n`,
    );
  }
  return 0;
}

async function artifactsInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: "boolean" } }, USAGE);
  if (positionals.length !== 1) throw new UserError(`artifacts inspect takes one key. Usage: ${USAGE}`);
  const store = await openCliStore(resolveHome());
  await store.sync();
  const versions = store.getArtifactVersions(positionals[0]);
  store.close();
  if (versions.length === 0) throw new UserError(`No artifact has the key '${positionals[0]}'. List keys with: flowline artifacts ls`);
  if (values.json) printJson(versions.map(artifactJson));
  else {
    const out = versions.map((a, i) =>
      [
        `Version ${versions.length - i} of ${versions.length}${i === 0 ? " (latest)" : ""}  ${a.id}`,
        `  type ${a.type}  created ${formatTime(a.created)}  flow run ${a.flowRunId ?? "-"}  task run ${a.taskRunId ?? "-"}`,
        ...(a.description ? [`  description: ${a.description}`] : []),
        `  data: ${typeof a.data === "string" ? a.data : JSON.stringify(a.data)}`,
      ].join("\n"),
    );
    process.stdout.write(`${out.join("\n\n")}\n`);
  }
  return 0;
}

async function artifactsRm(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { id: { type: "string" } }, USAGE);
  const id = values.id as string | undefined;
  if ((id === undefined) === (positionals.length !== 1) || positionals.length > 1) {
    throw new UserError(`artifacts rm takes a key, or --id <id>. Usage: ${USAGE}`);
  }
  const store = await openCliStore(resolveHome());
  await store.sync();
  try {
    if (id !== undefined) {
      if (!(await store.deleteArtifact(id))) throw new UserError(`No artifact has the id '${id}'.`);
      process.stdout.write(`Deleted artifact ${id}.\n`);
    } else {
      const n = await store.deleteArtifactKey(positionals[0]);
      if (n === 0) throw new UserError(`No artifact has the key '${positionals[0]}'.`);
      process.stdout.write(`Deleted ${n} version${n === 1 ? "" : "s"} of '${positionals[0]}'.\n`);
    }
  } finally {
    store.close();
  }
  return 0;
}
