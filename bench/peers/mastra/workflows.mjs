// The Mastra workflows both the driver and the cold-start script run. Steps are the smallest Mastra
// allows: zod schemas of one number (or any value, for the stored records).
import { Mastra } from "@mastra/core";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { z } from "zod";
import { payload } from "./protocol.mjs";

const num = z.number();
const inc = (id) => createStep({ id, inputSchema: num, outputSchema: num, execute: async ({ inputData }) => inputData + 1 });
const noop = createStep({ id: "noop", inputSchema: num, outputSchema: num, execute: async ({ inputData }) => inputData });
const keep = createStep({ id: "keep", inputSchema: num, outputSchema: z.any(), execute: async ({ inputData }) => payload(inputData) });

export const workflows = {
  three: createWorkflow({ id: "three", inputSchema: num, outputSchema: num }).then(inc("a")).then(inc("b")).then(inc("c")).commit(),
  // 1,000 tasks in one workflow: `foreach` over the items, one at a time or all at once.
  noopSeq: createWorkflow({ id: "noopSeq", inputSchema: z.array(num), outputSchema: z.array(num) }).foreach(noop, { concurrency: 1 }).commit(),
  noopFan: createWorkflow({ id: "noopFan", inputSchema: z.array(num), outputSchema: z.array(num) }).foreach(noop, { concurrency: 1000 }).commit(),
  persist: createWorkflow({ id: "persist", inputSchema: z.array(num), outputSchema: z.array(z.any()) }).foreach(keep, { concurrency: 1 }).commit(),
  trivial: createWorkflow({ id: "trivial", inputSchema: num, outputSchema: num }).then(inc("one")).commit(),
};

/** A Mastra instance with the workflows; with a LibSQL file store when `dbFile` is given, else in memory. */
export async function makeMastra(dbFile) {
  let storage;
  if (dbFile) {
    const { LibSQLStore } = await import("@mastra/libsql");
    storage = new LibSQLStore({ id: "bench", url: `file:${dbFile}` });
  }
  return new Mastra({ workflows, logger: false, ...(storage ? { storage } : {}) });
}

export async function runWorkflow(mastra, name, inputData) {
  const run = await mastra.getWorkflow(name).createRun();
  const result = await run.start({ inputData });
  if (result.status !== "success") throw new Error(`Mastra workflow ${name} ended ${result.status}: ${result.error?.message ?? ""}`);
  return result.result;
}
