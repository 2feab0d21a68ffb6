// Prefect 2.9's table artifact, in TypeScript: a flow that publishes a table you can search.
//
//   npx flowline run examples/cities.ts
//   npx flowline artifacts inspect largest-cities
//
// In VS Code, click "▶ Run flow" above the flow, then open "largest-cities" in the Flowline
// Artifacts view: eight rows; search "Tokyo" to see one of eight, switch to Raw for the JSON.
// Run it again and the key gets a second version.
import { flow, task, createTableArtifact } from "flowline";

interface City {
  city: string;
  country: string;
  population_millions: number;
  founded: number | string;
}

export const fetchCities = task({ name: "fetch-cities", retries: 2, retryDelaySeconds: 1 }, async (): Promise<City[]> => [
  { city: "Tokyo", country: "Japan", population_millions: 37.1, founded: 1457 },
  { city: "Delhi", country: "India", population_millions: 33.8, founded: "6th century BC" },
  { city: "Shanghai", country: "China", population_millions: 29.9, founded: 751 },
  { city: "São Paulo", country: "Brazil", population_millions: 22.8, founded: 1554 },
  { city: "Mexico City", country: "Mexico", population_millions: 22.3, founded: 1325 },
  { city: "Cairo", country: "Egypt", population_millions: 22.6, founded: 969 },
  { city: "Mumbai", country: "India", population_millions: 21.7, founded: 1507 },
  { city: "Dublin", country: "Ireland", population_millions: 1.3, founded: 841 },
]);

export const citiesFlow = flow({ name: "cities" }, async () => {
  const cities = await fetchCities();
  await createTableArtifact(cities, {
    key: "largest-cities",
    description: "# Largest cities\nSeven of the world's largest urban areas, and **Dublin** for scale.",
  });
  return cities.length;
});
