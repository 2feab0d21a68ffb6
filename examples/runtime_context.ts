// The runtime context, as Prefect 2.9's `prefect.runtime`: who am I, and what was I called with?
//
//   npx flowline run examples/runtime_context.ts --param x=1
//
// With logPrints, console.log inside the run becomes run logs: you see the flow run's generated name
// (adjective-animal), then the task run's name and the flow run's parameters ({"x":1}).
// Outside a run every field is empty; FLOWLINE__RUNTIME__FLOW_RUN__NAME=demo overrides a field.
import { flow, task, runtime } from "flowline";

export const myTask = task({ name: "my-task" }, async (y: number) => {
  console.log("My name is", runtime.taskRun.name);
  console.log("Flow run parameters:", JSON.stringify(runtime.flowRun.parameters));
  return y * 2;
});

export const myFlow = flow({ name: "runtime-context", logPrints: true }, async ({ x = 1 }: { x?: number } = {}) => {
  console.log("My name is", runtime.flowRun.name, "and I am a run of", runtime.flowRun.flowName);
  return myTask(x + 1);
});
