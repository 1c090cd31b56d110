import { promises as fs } from "node:fs";
import path from "node:path";
import { Annotation, type ImageInfo, layerFormatOf } from "@particle/composefs";
import {
  API_VERSION,
  fsyncDir,
  pathExists,
  renameDurable,
  run,
  Transaction,
  writeFileAtomic,
  writeJsonAtomic,
} from "@particle/runtime";
import { findKernels, installKernel } from "../boot/kernel.js";
import { BootcErrors } from "../errors.js";
import { type DeploymentLayer, DeploymentOrigin, StagedDeployment, StaterootName } from "../spec.js";
import { withImage } from "../sysroot/image-mount.js";
import { deploymentRef } from "../sysroot/layout.js";
import type { Sysroot } from "../sysroot/sysroot.js";
import { seedStateDirs } from "./state-dirs.js";
import { referenceImage } from "./store-refs.js";

export interface StageOptions {
  /** Store reference of the image ("name:tag" or "sha256:…"). */
  readonly image: string;
  /** What the user asked for (a transport reference); recorded for upgrades. @default image */
  readonly reference?: string;
  /** @default the merge deployment's stateroot, else "default" */
  readonly stateroot?: string;
  /** Kernel arguments; default: those of the merge deployment. */
  readonly kargs?: readonly string[];
}

export interface StageResult {
  readonly deployment: string;
  readonly origin: DeploymentOrigin;
  /** The deployment whose /etc is merged at finalize time. */
  readonly mergeFrom: string | null;
}

/** The deployment the next one inherits /etc and kargs from: the booted one, else the default. */
export async function mergeDeployment(sysroot: Sysroot, stateroot?: string): Promise<string | undefined> {
  const set = await sysroot.entrySet();
  const candidates = [sysroot.booted, set?.entries[0]?.deployment].filter(
    (d): d is string => d !== undefined,
  );
  return candidates.find((d) => stateroot === undefined || d.startsWith(`${stateroot}/`));
}

function layersOf(image: ImageInfo, reference: string): DeploymentLayer[] {
  return image.layers.map((layer) => {
    const fsType = layerFormatOf(layer.mediaType);
    if (fsType === undefined) throw BootcErrors.layerFormat(reference, layer.mediaType);
    return { digest: layer.digest, fsType };
  });
}

async function nextId(sysroot: Sysroot, stateroot: string, manifestDigest: string): Promise<string> {
  const prefix = manifestDigest.slice("sha256:".length, "sha256:".length + 12);
  const existing = await fs.readdir(sysroot.layout.stateroot(stateroot));
  let serial = 0;
  while (existing.includes(`${prefix}-${serial}`)) serial++;
  return `${prefix}-${serial}`;
}

/**
 * Prepares a deployment of an image without making it the default: its directory (layers list,
 * origin, empty /etc upper), its kernel and initramfs, and the stateroot's /var on first use. The
 * directory appears under its final name in one rename; `staged.json` then names it.
 */
export async function stageDeployment(sysroot: Sysroot, options: StageOptions): Promise<StageResult> {
  return sysroot.locked("staging a deployment", async () => {
    const image = await sysroot.store.resolve(options.image);
    const reference = options.reference ?? options.image;
    const mergeFrom = await mergeDeployment(sysroot, options.stateroot);
    const mergeOrigin = mergeFrom ? await sysroot.origin(mergeFrom) : undefined;
    const stateroot = options.stateroot ?? mergeOrigin?.stateroot ?? "default";
    if (!StaterootName.safeParse(stateroot).success) throw BootcErrors.invalidName("stateroot", stateroot);
    const layers = layersOf(image, reference);
    const layout = sysroot.layout;
    await fs.mkdir(layout.stateroot(stateroot), { recursive: true });
    const id = await nextId(sysroot, stateroot, image.manifestDigest);
    const temp = path.join(layout.stateroot(stateroot), `.tmp-${id}`);
    const tx = await Transaction.begin(layout.journal, "bootc.stage", { stateroot, id, temp });
    await fs.rm(temp, { recursive: true, force: true });
    await fs.mkdir(path.join(temp, "etc", "upper"), { recursive: true });
    await fs.mkdir(path.join(temp, "etc", "work"), { recursive: true });
    await writeFileAtomic(
      path.join(temp, "layers"),
      layers.map((l) => `${l.fsType} ${layout.relative(sysroot.store.blobPath(l.digest))}\n`).join(""),
    );
    const { checksum, kernelVersion } = await withImage(
      sysroot.store,
      layout,
      image.manifestDigest,
      async (root) => {
        const kernel = (await findKernels(root)).at(-1);
        if (kernel === undefined) throw BootcErrors.noKernel(reference);
        await tx.step("image-checked");
        const sum = await installKernel(layout, kernel);
        await tx.step("kernel-installed");
        await seedVar(layout.var(stateroot), root);
        await seedStateDirs(layout.var(stateroot), root);
        return { checksum: sum, kernelVersion: kernel.version };
      },
    );
    const origin = DeploymentOrigin.parse({
      apiVersion: API_VERSION,
      kind: "DeploymentOrigin",
      stateroot,
      id,
      image: {
        reference,
        storeRef: `${image.name}:${image.tag}`,
        manifestDigest: image.manifestDigest,
        ...(image.labels[Annotation.version] ? { version: image.labels[Annotation.version] } : {}),
        ...(image.created ? { timestamp: image.created } : {}),
      },
      layers,
      boot: { checksum, kernelVersion },
      kargs: [...(options.kargs ?? mergeOrigin?.kargs ?? [])],
      pinned: false,
      deployedAt: new Date().toISOString(),
    });
    await writeJsonAtomic(path.join(temp, "origin.json"), origin);
    await fsyncDir(temp);
    await tx.step("prepared");
    // Tagged before the deployment appears: gc never sees a deployment whose image it may free.
    await referenceImage(sysroot.store, image.manifestDigest, stateroot, id);
    await tx.step("image-referenced");
    await renameDurable(temp, layout.deployment(stateroot, id));
    await tx.step("deployed");
    // /etc is merged within a stateroot only: another stateroot starts from the image's /etc.
    const sameStateroot = mergeOrigin?.stateroot === stateroot ? mergeOrigin.id : null;
    const staged = StagedDeployment.parse({
      apiVersion: API_VERSION,
      kind: "StagedDeployment",
      deployment: id,
      mergeFrom: sameStateroot,
      stagedAt: new Date().toISOString(),
    });
    await writeJsonAtomic(layout.staged(stateroot), staged);
    await tx.commit();
    // On a booted system, the path unit notices this and arms the finalize-at-shutdown service.
    if (sysroot.booted !== undefined && sysroot.runDir !== undefined) {
      await fs.mkdir(sysroot.runDir, { recursive: true });
      await fs.writeFile(path.join(sysroot.runDir, "staged"), `${deploymentRef(stateroot, id)}\n`);
    }
    return {
      deployment: deploymentRef(stateroot, id),
      origin,
      mergeFrom: sameStateroot ? deploymentRef(stateroot, sameStateroot) : null,
    };
  });
}

/** Copies the image's /var into a stateroot's /var the first time the stateroot is used. */
async function seedVar(varDir: string, imageRoot: string): Promise<void> {
  if (await pathExists(varDir)) return;
  const temp = `${varDir}.tmp`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp);
  if (await pathExists(path.join(imageRoot, "var")))
    await run("cp", ["-a", "--", `${path.join(imageRoot, "var")}/.`, temp]);
  await renameDurable(temp, varDir);
}
