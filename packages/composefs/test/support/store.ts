import path from "node:path";
import { isParticleError } from "@particle/runtime";
import { Store } from "../../src/index.js";

/** A new store at `dir/store`, with its mount records in `dir/run`. */
export function scratchStore(dir: string): Promise<Store> {
  return Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
}

/** The code of the ParticleError that `promise` rejects with (another error as text; undefined if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return isParticleError(error) ? error.code : error === undefined ? undefined : String(error);
}
