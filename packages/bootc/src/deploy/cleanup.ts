import { promises as fs } from "node:fs";
import path from "node:path";
import { fsyncDir, ifExists } from "@particle/runtime";
import { clearScratch } from "../sysroot/image-mount.js";
import { deploymentRef } from "../sysroot/layout.js";
import type { Sysroot } from "../sysroot/sysroot.js";
import { releaseImages } from "./store-refs.js";

export interface CleanupResult {
  /** Deployments removed, as `<stateroot>/<id>`. */
  readonly deployments: readonly string[];
  /** Kernel directories removed (by checksum). */
  readonly kernels: readonly string[];
}

/**
 * Which deployments must stay (pure): every boot entry (the default and the rollback among them), the
 * booted one, staged ones and pinned ones.
 */
export function deploymentsToKeep(input: {
  readonly entries: readonly string[];
  readonly booted?: string;
  readonly staged: readonly string[];
  readonly pinned: readonly string[];
}): Set<string> {
  return new Set([
    ...input.entries,
    ...(input.booted ? [input.booted] : []),
    ...input.staged,
    ...input.pinned,
  ]);
}

/**
 * Removes deployments nothing refers to, kernels no kept deployment uses, and the store tags of
 * deployments that are gone (their images are then the store gc's to free).
 */
export async function cleanup(sysroot: Sysroot): Promise<CleanupResult> {
  return sysroot.locked("cleaning up deployments", () => cleanupLocked(sysroot));
}

/** `cleanup` for callers that already hold the sysroot lock. */
export async function cleanupLocked(sysroot: Sysroot): Promise<CleanupResult> {
  const layout = sysroot.layout;
  const deployments = await sysroot.deployments();
  const set = await sysroot.entrySet();
  const staged = [...(await sysroot.staged()).entries()].map(([root, s]) =>
    deploymentRef(root, s.deployment),
  );
  const keep = deploymentsToKeep({
    entries: set?.entries.map((e) => e.deployment) ?? [],
    booted: sysroot.booted,
    staged,
    pinned: [...deployments.values()].filter((d) => d.pinned).map((d) => deploymentRef(d.stateroot, d.id)),
  });
  const removed: string[] = [];
  for (const [ref, origin] of deployments) {
    if (keep.has(ref)) continue;
    const dir = layout.deployment(origin.stateroot, origin.id);
    // Rename first so that a crash never leaves a half-removed deployment that looks complete.
    const grave = path.join(layout.stateroot(origin.stateroot), `.tmp-removed-${origin.id}`);
    await fs.rename(dir, grave);
    await fsyncDir(layout.stateroot(origin.stateroot));
    await fs.rm(grave, { recursive: true, force: true });
    removed.push(ref);
  }
  for (const stateroot of await sysroot.stateroots()) {
    for (const name of await fs.readdir(layout.stateroot(stateroot))) {
      if (name.startsWith(".tmp-"))
        await fs.rm(path.join(layout.stateroot(stateroot), name), { recursive: true, force: true });
    }
  }
  const usedKernels = new Set(
    [...deployments].filter(([ref]) => keep.has(ref)).map(([, o]) => o.boot.checksum),
  );
  const kernels: string[] = [];
  for (const name of (await ifExists(fs.readdir(layout.kernels))) ?? []) {
    if (usedKernels.has(name)) continue;
    await fs.rm(path.join(layout.kernels, name), { recursive: true, force: true });
    kernels.push(name);
  }
  // After the deployments are gone: a crash before this leaves tags that the next cleanup removes.
  await releaseImages(
    sysroot.store,
    new Set([...deployments.keys()].filter((ref) => !removed.includes(ref))),
  );
  await clearScratch(layout);
  return { deployments: removed, kernels };
}
