// Engine overhead per task run, in-process, against a "floor" task run measured in the same run: the
// least any engine with a run context and recorded states must do (AsyncLocalStorage.run around the
// function, a randomUUID, two state events pushed to an array). Flowline's sequential (`await task(i)`)
// and submitted (`task.submit(i)`) task runs of a no-op task go round with the floor and bare async calls,
// one after another in every round, so load from the rest of the machine falls on all of them alike.
// Each kind runs in a process of its own, kept for all the rounds: in one shared heap a kind paid for the
// garbage the kind before it left (the floor's 20,000 recorded states with their ids cost the
// sequential run measured after it 2 µs a task run; the floor measured alone was 20% slower than after
// Flowline's runs, as it left its collection to them).
// Times are CPU time of the process (process.cpuUsage: every thread, garbage collection included) per
// run; the ratios are medians of each round's ratio. A submitted run is compared with the floor run
// concurrently (subConcRatio: all started, then all awaited, as submitted runs are), a sequential one with
// the floor run sequentially (seqRatio). Prints one JSON line.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { fork } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { DIST, median, tempDir } from "./lib.mjs";

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 15);
/** Set in a child: the one kind it runs, a round each time the parent asks. */
const KIND = process.argv[4];

if (KIND !== undefined) process.env.FLOWLINE_HOME = tempDir();
process.env.FLOWLINE_LOGGING_LEVEL = "WARNING";
const require = createRequire(import.meta.url);
const { flow, task } = require(`${DIST}/flowline.js`);

const fn = async (i) => i;

// The floor: a run context, an id, and a Running and a final state recorded (with their time).
const context = new AsyncLocalStorage();
let recorded = [];
async function floorRun(i) {
  const id = randomUUID();
  recorded.push({ id, type: "Running", ts: Date.now() });
  const value = await context.run({ id }, fn, i);
  recorded.push({ id, type: "Completed", ts: Date.now() });
  return value;
}
async function floorSequential() {
  recorded = [];
  for (let i = 0; i < N; i++) await floorRun(i);
}
async function floorConcurrent() {
  recorded = [];
  const all = [];
  for (let i = 0; i < N; i++) all.push(floorRun(i));
  await Promise.all(all);
}
async function bareSequential() {
  for (let i = 0; i < N; i++) await fn(i);
}
async function bareConcurrent() {
  const all = [];
  for (let i = 0; i < N; i++) all.push(fn(i));
  await Promise.all(all);
}

const noop = task({ name: "noop" }, fn);
const sequential = flow({ name: "sequential" }, async () => {
  for (let i = 0; i < N; i++) await noop(i);
});
const submitted = flow({ name: "submitted" }, async () => {
  const futures = [];
  for (let i = 0; i < N; i++) futures.push(noop.submit(i));
  for (const f of futures) await f.result();
});

/** CPU microseconds per run, and wall microseconds per run. */
async function perRun(body) {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  await body();
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / N, wall: Number(process.hrtime.bigint() - wall) / 1000 / N };
}

const kinds = {
  floor: floorSequential,
  seq: sequential,
  floorConc: floorConcurrent,
  sub: submitted,
  bareSeq: bareSequential,
  bareConc: bareConcurrent,
};

if (KIND !== undefined) {
  // A child: a round of its kind each time it is asked, answered with its times.
  process.on("message", async () => process.send(await perRun(kinds[KIND])));
  process.on("disconnect", () => {
    rmSync(process.env.FLOWLINE_HOME, { recursive: true, force: true });
    process.exit(0);
  });
  process.send("ready");
} else {
  await parent();
}

async function parent() {
  const self = fileURLToPath(import.meta.url);
  const children = {};
  for (const k of Object.keys(kinds)) {
    const child = fork(self, [String(N), String(ROUNDS), k], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    await new Promise((resolve) => child.once("message", resolve));
    children[k] = child;
  }
  const round = (k) =>
    new Promise((resolve) => {
      children[k].once("message", resolve);
      children[k].send("go");
    });
  const cpu = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  const wall = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // A different one first each round.
    const order = Object.keys(kinds);
    for (let k = 0; k < r % order.length; k++) order.push(order.shift());
    for (const k of order) {
      const t = await round(k);
      cpu[k].push(t.cpu);
      wall[k].push(t.wall);
    }
  }
  for (const child of Object.values(children)) child.disconnect();
  report(cpu, wall);
}

function report(cpu, wall) {
  // The first two rounds warm the JIT; they are left out.
  const rounds = (list) => list.slice(2);
  const m = (list) => median(rounds(list));
  const ratio = (a, b) => median(rounds(a).map((x, i) => x / rounds(b)[i]));
  console.log(
    JSON.stringify({
      n: N,
      rounds: ROUNDS,
      floorUs: m(cpu.floor),
      floorConcUs: m(cpu.floorConc),
      seqUs: m(cpu.seq),
      subUs: m(cpu.sub),
      bareSeqUs: m(cpu.bareSeq),
      bareConcUs: m(cpu.bareConc),
      seqRatio: ratio(cpu.seq, cpu.floor),
      subRatio: ratio(cpu.sub, cpu.floor),
      subConcRatio: ratio(cpu.sub, cpu.floorConc),
      wall: {
        floorUs: m(wall.floor),
        seqUs: m(wall.seq),
        subUs: m(wall.sub),
        seqRatio: ratio(wall.seq, wall.floor),
        subRatio: ratio(wall.sub, wall.floor),
      },
    }),
  );
}
