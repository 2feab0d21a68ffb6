import { performance } from "node:perf_hooks";

// Imported first by extension.ts, so this runs before the rest of the bundle's modules: the time from
// here to activate() is what loading the extension's own code costs (FLOWLINE_BENCH reports it, as wall
// time and as CPU time, which other processes on a busy machine do not inflate).
export const loadStarted = { wall: performance.now(), cpu: process.cpuUsage() };
