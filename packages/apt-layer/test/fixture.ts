import path from "node:path";
import { CACHE_ROOT, DEFAULT_TEST_SUITE, debianRootfs, scratchDir } from "@particle/test-kit";
import { importTree } from "../src/build/bootstrap.js";
import type { AptLayerContext } from "../src/context.js";
import { openStore } from "../src/image/store.js";

/**
 * apt's lists and .debs are shared by every test run (they are caches, never part of a layer), one
 * per release: `apt-get update` deletes the lists its sources do not name, so runs on another
 * release (a branch still on bookworm) would pull them from under a running build.
 */
export const SHARED_CACHE = path.join(CACHE_ROOT, `apt-layer-${DEFAULT_TEST_SUITE}`);

/** A scratch store and state, with the cached Debian rootfs (trixie) imported as `debian:trixie`. */
export async function layerFixture(
  name: string,
  options: { scope?: "test" | "manual" } = {},
): Promise<{ dir: string; ctx: AptLayerContext; base: string }> {
  const dir = await scratchDir(name, options);
  const store = await openStore(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
  const ctx: AptLayerContext = { store, stateDir: path.join(dir, "state"), cacheDir: SHARED_CACHE };
  const base = `debian:${DEFAULT_TEST_SUITE}`;
  await importTree(ctx, { source: await debianRootfs(), target: base });
  return { dir, ctx, base };
}
