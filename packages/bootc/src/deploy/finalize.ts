import { promises as fs } from "node:fs";
import path from "node:path";
import { failpoint, fsyncDir, pathExists, renameDurable, run, Transaction } from "@particle/runtime";
import { commitEntrySet } from "../boot/entries.js";
import { applyEtcMerge, planEtcMergeOnDisk } from "../etc/merge.js";
import type { EtcMergePlan } from "../etc/merge-plan.js";
import { commandLine } from "../kargs/edit.js";
import type { BootEntry, DeploymentOrigin } from "../spec.js";
import { withImage } from "../sysroot/image-mount.js";
import { deploymentRef } from "../sysroot/layout.js";
import type { Sysroot } from "../sysroot/sysroot.js";
import { cleanupLocked } from "./cleanup.js";

/**
 * Finalizing a staged deployment (ostree's sysroot-deploy finalize step): the /etc merge and the boot
 * entry switch that makes it the default. Staging is in stage.ts.
 */

/** How many times a new default may fail to boot before the bootloader falls back. */
export const DEFAULT_TRIES = 3;

export interface FinalizeResult {
  readonly deployment: string;
  readonly etc: EtcMergePlan | null;
  readonly entries: readonly string[];
}

/** The entry a deployment boots with. */
export function bootEntryFor(sysroot: Sysroot, origin: DeploymentOrigin): BootEntry {
  const ref = deploymentRef(origin.stateroot, origin.id);
  const kernels = sysroot.layout.kernelDir(origin.boot.checksum);
  return {
    deployment: ref,
    title: `Particle-OS ${origin.image.version ?? origin.image.storeRef} (${ref})`,
    kernel: `/${sysroot.layout.relative(path.join(kernels, "vmlinuz"))}`,
    initrd: `/${sysroot.layout.relative(path.join(kernels, "initrd.img"))}`,
    options: commandLine(ref, origin.kargs),
  };
}

/**
 * Makes the staged deployment of `stateroot` the default: merges /etc from the deployment it was
 * staged from (three-way, see etc/merge-plan.ts), then switches the boot entry set in one rename with
 * the new default on trial and the previous default as fallback. Old deployments are cleaned up.
 */
export async function finalizeStaged(
  sysroot: Sysroot,
  stateroot?: string,
): Promise<FinalizeResult | undefined> {
  return sysroot.locked("finalizing the staged deployment", async () => {
    const staged = await sysroot.staged();
    const [root, record] = stateroot ? [stateroot, staged.get(stateroot)] : ([...staged.entries()][0] ?? []);
    if (root === undefined || record === undefined) return undefined;
    const layout = sysroot.layout;
    const ref = deploymentRef(root, record.deployment);
    const origin = await sysroot.origin(ref);
    const temp = path.join(layout.deployment(root, record.deployment), "etc", ".upper-merge");
    const tx = await Transaction.begin(layout.journal, "bootc.finalize", { deployment: ref, temp });
    let plan: EtcMergePlan | null = null;
    const mergeFrom = record.mergeFrom ? deploymentRef(root, record.mergeFrom) : undefined;
    if (mergeFrom && (await pathExists(layout.origin(root, record.mergeFrom as string)))) {
      plan = await mergeEtc(sysroot, await sysroot.origin(mergeFrom), origin, temp);
      await tx.step("etc-merged");
    }
    const current = await sysroot.entrySet();
    const deployments = await sysroot.deployments();
    const order = [
      ref,
      sysroot.booted,
      current?.entries[0]?.deployment,
      ...[...deployments.values()].filter((d) => d.pinned).map((d) => deploymentRef(d.stateroot, d.id)),
    ];
    const refs = [...new Set(order.filter((d): d is string => d !== undefined && deployments.has(d)))];
    await commitEntrySet(
      layout,
      {
        entries: refs.map((d) => bootEntryFor(sysroot, deployments.get(d) as DeploymentOrigin)),
        // With nothing to fall back to there is nothing to count.
        ...(refs.length > 1 ? { trial: { deployment: ref, tries: DEFAULT_TRIES } } : {}),
      },
      sysroot.renderers,
    );
    await tx.step("entries-switched");
    await fs.rm(layout.staged(root), { force: true });
    await fsyncDir(layout.stateroot(root));
    await tx.commit();
    await cleanupLocked(sysroot);
    return { deployment: ref, etc: plan, entries: refs };
  });
}

/** Writes the merged /etc upper of `to` (from the local changes of `from`), replacing its empty upper. */
async function mergeEtc(
  sysroot: Sysroot,
  from: DeploymentOrigin,
  to: DeploymentOrigin,
  temp: string,
): Promise<EtcMergePlan> {
  const layout = sysroot.layout;
  const oldUpper = layout.etcUpper(from.stateroot, from.id);
  const plan = await withImage(sysroot.store, layout, from.image.manifestDigest, (oldRoot) =>
    withImage(sysroot.store, layout, to.image.manifestDigest, (newRoot) =>
      planEtcMergeOnDisk(path.join(oldRoot, "etc"), oldUpper, path.join(newRoot, "etc")),
    ),
  );
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp);
  await applyEtcMerge(plan, oldUpper, temp);
  await run("sync", ["--file-system", temp]);
  failpoint("bootc.finalize/etc-written");
  const upper = layout.etcUpper(to.stateroot, to.id);
  await fs.rm(upper, { recursive: true, force: true });
  await renameDurable(temp, upper);
  return plan;
}
