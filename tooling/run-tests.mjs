#!/usr/bin/env node
// `pnpm test`: every check in order — lint, build + typecheck + unit tests, integration tests, then
// end-to-end tests (one package at a time: they mount, loop-attach and boot VMs). A failing step does
// not stop the later ones, so one run reports everything; the exit code is non-zero if any failed.
import { spawnSync } from "node:child_process";

const only = process.argv[2];
const steps = [
  ["lint", ["pnpm", "lint"]],
  [
    "unit",
    ["pnpm", "exec", "turbo", "run", "build", "typecheck", "test:unit", "--concurrency=2", "--continue"],
  ],
  ["integration", ["pnpm", "exec", "turbo", "run", "test:integration", "--concurrency=1", "--continue"]],
  ["e2e", ["pnpm", "exec", "turbo", "run", "test:e2e", "--concurrency=1", "--continue"]],
].filter(([name]) => only === undefined || name === only);

const failed = [];
for (const [name, [command, ...args]] of steps) {
  console.log(`\n=== ${name}: ${[command, ...args].join(" ")}`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    stdio: "inherit",
    env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`=== ${name}: ${result.status === 0 ? "ok" : "FAILED"} in ${seconds} s`);
  if (result.status !== 0) failed.push(name);
}
if (failed.length > 0) console.log(`\nfailed steps: ${failed.join(", ")}`);
process.exitCode = failed.length > 0 ? 1 : 0;
