import { defineConfig } from "tsup";
/** A library: ESM + .d.ts, dependencies left external (consumers install them from npm). */
export function libraryConfig(entry = { index: "src/index.ts" }) {
  return defineConfig({
    entry,
    format: ["esm"],
    target: "node18",
    platform: "node",
    dts: true,
    clean: true,
    sourcemap: true,
    splitting: false,
  });
}
/**
 * A CLI: one self-contained file per binary that runs on the distribution's Node.js (Debian 12 and
 * Ubuntu 24.04 ship 18.19), with every workspace and npm dependency bundled in.
 */
export function cliConfig(entry) {
  return defineConfig({
    entry,
    format: ["esm"],
    target: "node18",
    platform: "node",
    clean: true,
    sourcemap: false,
    splitting: false,
    // .mjs: the bundle is ESM wherever it is installed, with or without a package.json beside it.
    outExtension: () => ({ js: ".mjs" }),
    noExternal: [/.*/],
    banner: {
      // Bundled CommonJS dependencies call require(); give them one in the ESM output.
      js: "import { createRequire as __particleCreateRequire } from 'node:module'; const require = __particleCreateRequire(import.meta.url);",
    },
    esbuildOptions(options) {
      options.conditions = ["@particle/source"];
    },
  });
}
