import { defineConfig } from "vitest/config";
/**
 * Three tiers, chosen by file name:
 * - `*.test.ts`: unit tests, no root, no real mounts; run everywhere.
 * - `*.int.test.ts`: integration tests with real tools, mounts and apt; need root.
 * - `*.e2e.test.ts`: end-to-end tests that boot QEMU; slow, need root.
 */
export function particleVitestConfig(overrides = {}) {
  // Workspace packages resolve to their TypeScript sources in tests (no build step needed).
  const conditions = ["@particle/source", "node", "module", "development|production"];
  const resolve = { conditions };
  const ssr = { resolve: { conditions, externalConditions: conditions } };
  return defineConfig({
    resolve,
    ssr,
    test: {
      reporters: reporters(),
      projects: [
        {
          resolve,
          ssr,
          test: {
            name: "unit",
            // A guard against hangs, not a speed check: tests that start processes are slow on a loaded 2-core machine.
            testTimeout: 60_000,
            include: ["test/**/*.test.ts", "src/**/*.test.ts"],
            exclude: ["**/*.int.test.ts", "**/*.e2e.test.ts", "**/node_modules/**"],
          },
        },
        {
          resolve,
          ssr,
          test: {
            name: "integration",
            include: ["test/**/*.int.test.ts"],
            testTimeout: overrides.integrationTimeoutMs ?? 300_000,
            hookTimeout: 600_000,
            fileParallelism: false,
          },
        },
        {
          resolve,
          ssr,
          test: {
            name: "e2e",
            include: ["test/**/*.e2e.test.ts"],
            testTimeout: 1_200_000,
            hookTimeout: 1_200_000,
            fileParallelism: false,
          },
        },
      ],
    },
  });
}

/**
 * With PARTICLE_TEST_REPORT_DIR set (CI does), each run also writes a JSON report named after the
 * package and the script (`@particle/config test:unit`), which `tooling/ci-summary.mjs` adds up.
 */
function reporters() {
  const dir = process.env.PARTICLE_TEST_REPORT_DIR;
  if (!dir) return ["default"];
  const name =
    `${process.env.npm_package_name ?? "unknown"}-${process.env.npm_lifecycle_event ?? "vitest"}`.replace(
      /[^\w.-]+/g,
      "_",
    );
  return ["default", ["json", { outputFile: `${dir}/${name}.json` }]];
}
