/**
 * Runs one Store operation in a child process, so that tests can kill it with a failpoint
 * (PARTICLE_FAILPOINTS) at any step: `store-op.ts '{"store": …, "runDir": …, "op": …, "args": […]}'`.
 */
import { Store } from "../../src/index.js";

const request = JSON.parse(process.argv[2] ?? "{}") as {
  store: string;
  runDir: string;
  op: string;
  args: unknown[];
};
const store = await Store.open(request.store, { create: true, runDir: request.runDir });
const method = (store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[request.op];
if (typeof method !== "function") throw new Error(`unknown op ${request.op}`);
const result = await method.apply(store, request.args);
process.stdout.write(`${JSON.stringify(result ?? null)}\n`);
