// Prefect 2.9's result storage key example, in TypeScript.
//
//   npx flowline run examples/hello_world.ts
//
// Three task runs complete, and the results land in .flowline/storage/ as hello__world.json,
// hello__foo.json and hello__bar.json: the key is a template rendered from each task run's own
// parameters, defaults included. `{parameters.name}` works too.
import { flow, task } from "flowline";

export const helloWorld = task(
  { name: "hello-world", persistResult: true, resultStorageKey: "hello__{parameters[name]}.json" },
  async ({ name = "world" }: { name?: string } = {}) => `hello ${name}`,
);

export const myFlow = flow({ name: "my-flow" }, async () => {
  await helloWorld(); // hello__world.json
  await helloWorld({ name: "foo" }); // hello__foo.json
  await helloWorld({ name: "bar" }); // hello__bar.json
});
