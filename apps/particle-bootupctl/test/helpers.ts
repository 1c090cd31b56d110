import path from "node:path";
import { execa } from "execa";

const BIN = path.resolve(__dirname, "../dist/particle-bootupctl.mjs");

/** Runs the built CLI (build it first: `pnpm --filter @particle/bootupctl build`). */
export function bootupctl(args: readonly string[], env: Record<string, string> = {}) {
  return execa("node", [BIN, ...args], { reject: false, env: { PARTICLE_LOGGING_FILE: "", ...env } });
}

/** The JSON document a `--json` run printed. */
export function json<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout) as T;
}
