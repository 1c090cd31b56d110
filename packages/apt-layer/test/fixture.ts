import path from "node:path";
import { CACHE_ROOT, debianRootfs, scratchDir } from "@particle/test-kit";
import { importTree } from "../src/build/bootstrap.js";
import type { AptLayerContext } from "../src/context.js";
import { openStore } from "../src/image/store.js";

/** apt's lists and .debs are shared by every test run (they are caches, never part of a layer). */
export const SHARED_CACHE = path.join(CACHE_ROOT, "apt-layer");

/** A scratch store and state, with the cached Debian rootfs imported as `debian:bookworm`. */
export async function layerFixture(
  name: string,
  options: { scope?: "test" | "manual" } = {},
): Promise<{ dir: string; ctx: AptLayerContext; base: string }> {
  const dir = await scratchDir(name, options);
  const store = await openStore(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
  const ctx: AptLayerContext = { store, stateDir: path.join(dir, "state"), cacheDir: SHARED_CACHE };
  await importTree(ctx, { source: await debianRootfs(), target: "debian:bookworm" });
  return { dir, ctx, base: "debian:bookworm" };
}
