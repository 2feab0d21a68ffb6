// The seed example: a task whose results land at templated storage keys.
// Run it:  npx flowline run examples/hello.ts
// You should see three task runs complete, and .flowline/storage/ holding
// hello__world.json, hello__foo.json and hello__bar.json.
import { flow, task, runtime, getRunLogger } from "flowline";

export const hello = task(
  { name: "hello", persistResult: true, resultStorageKey: "hello__{parameters.name}.json" },
  async ({ name = "world" }: { name?: string }) => {
    getRunLogger().info(`Saying hello to ${name} from ${runtime.flowRun.name}`);
    return `hello ${name}`;
  },
);

export const myFlow = flow({ name: "my-flow" }, async () => {
  await hello({}); // hello__world.json
  await hello({ name: "foo" }); // hello__foo.json
  await hello({ name: "bar" }); // hello__bar.json
});
