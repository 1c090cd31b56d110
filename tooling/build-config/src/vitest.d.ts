import { type ViteUserConfig } from "vitest/config";
/**
 * Three tiers, chosen by file name:
 * - `*.test.ts`: unit tests, no root, no real mounts; run everywhere.
 * - `*.int.test.ts`: integration tests with real tools, mounts and apt; need root.
 * - `*.e2e.test.ts`: end-to-end tests that boot QEMU; slow, need root.
 */
export declare function particleVitestConfig(overrides?: { integrationTimeoutMs?: number }): ViteUserConfig;
