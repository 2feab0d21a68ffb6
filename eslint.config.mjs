// Lint keeps the seams ARCHITECTURE.md describes: `vscode` enters only through the extension's seam, each
// layer imports only the layers below it (shared ← engine ← store ← team ← runner ← cli | extension; the
// webview only shared), no import cycles, and the usual TypeScript mistakes. Formatting is Prettier's.
import tseslint from "typescript-eslint";
import importX, { createNodeResolver } from "eslint-plugin-import-x";

/** A rule that forbids imports into the named sibling layers of src/, from any depth below them. */
function layer(files, forbidden) {
  return {
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "vscode", message: "Import VS Code's types from src/extension/vscode-types.ts; only extension.ts requires the module." }],
          patterns: [
            {
              regex: `^(\\.\\./)+(${forbidden.join("|")})(/|$)`,
              message: `A lower layer does not import ${forbidden.join(", ")} (ARCHITECTURE.md: layers import downwards only).`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".cache/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    plugins: { "import-x": importX },
    settings: { ...importX.flatConfigs.typescript.settings, "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".js", ".json"] })] },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // A closure that reads a variable assigned once, after it, is not a `let` that should be `const`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["self"] }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
    },
  },
  layer(["src/shared/**/*.ts"], ["engine", "store", "team", "runner", "cli", "extension"]),
  layer(["src/engine/**/*.ts"], ["store", "team", "runner", "cli", "extension"]),
  layer(["src/store/**/*.ts"], ["team", "runner", "cli", "extension"]),
  layer(["src/team/**/*.ts"], ["runner", "cli", "extension"]),
  layer(["src/runner/**/*.ts"], ["cli", "extension"]),
  layer(["src/cli/**/*.ts"], ["extension"]),
  layer(["src/extension/**/*.ts"], ["cli"]),
  layer(["webview/**/*.ts"], ["src/(?!shared/)[^/]+"]),
  // The seam itself: the one file that names the module's types.
  { files: ["src/extension/vscode-types.ts"], rules: { "no-restricted-imports": "off" } },
  // Tests read JSON of any shape from the CLI's output.
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
);
