// Flowline's version, as package.json says. esbuild.mjs puts it into every bundle (`define`); code run from
// source (the tests, under tsx) reads package.json instead, so there is no second copy to keep in step.

declare const __FLOWLINE_VERSION__: string | undefined;

// Outside a bundle (tests under tsx) the version is read from package.json at run time.
export const FLOWLINE_VERSION: string =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  typeof __FLOWLINE_VERSION__ === "string" ? __FLOWLINE_VERSION__ : (require("../../package.json") as { version: string }).version;
