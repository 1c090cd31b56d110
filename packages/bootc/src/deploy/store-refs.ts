import { promises as fs } from "node:fs";
import path from "node:path";
import { Annotation, type OciImageConfig, type OciIndex, type OciManifest } from "@particle/composefs";
import { isParticleError } from "@particle/runtime";
import { BootcErrors } from "../errors.js";
import type { DeploymentOrigin } from "../spec.js";
import { deploymentRef } from "../sysroot/layout.js";
import type { DeployStore } from "../sysroot/store.js";

/**
 * Every deployment keeps its image tagged in the store as `particle-deploy:<stateroot>.<id>`, so that
 * the store's gc (which keeps what tags reach) never frees a deployed image's manifest, config or
 * layers. Stateroot and id never contain a dot, and both fit the OCI tag grammar; the stateroot
 * cannot be part of the name, which allows no trailing '-' or '_'.
 */
export const DEPLOY_TAG_NAME = "particle-deploy";

/** The store tag of a deployment (pure). */
export function deploymentTag(stateroot: string, id: string): string {
  return `${DEPLOY_TAG_NAME}:${stateroot}.${id}`;
}

/** The deployment (`<stateroot>/<id>`) a store tag belongs to, or undefined for any other tag (pure). */
export function deploymentOfTag(name: string, tag: string): string | undefined {
  if (name !== DEPLOY_TAG_NAME) return undefined;
  const dot = tag.indexOf(".");
  return dot <= 0 ? undefined : deploymentRef(tag.slice(0, dot), tag.slice(dot + 1));
}

/**
 * Tags the exact manifest a deployment boots. The store has no "tag this digest" call, so the image is
 * committed again from its own stored documents, which reproduces its manifest byte for byte; if it
 * does not (a manifest the store did not write), the tag is removed and deploying is refused, since
 * a tag on a look-alike manifest would leave the deployed one to gc.
 */
export async function referenceImage(
  store: DeployStore,
  manifestDigest: string,
  stateroot: string,
  id: string,
): Promise<void> {
  // Read as stored (not re-validated): a manifest the store did not write fails the digest check below.
  const manifest = JSON.parse(await fs.readFile(store.blobPath(manifestDigest), "utf8")) as OciManifest;
  const config = JSON.parse(
    await fs.readFile(store.blobPath(manifest.config.digest), "utf8"),
  ) as OciImageConfig;
  const created = manifest.annotations?.[Annotation.created] ?? config.created;
  const committed = await store.commitImage({
    name: DEPLOY_TAG_NAME,
    tag: `${stateroot}.${id}`,
    layers: manifest.layers,
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
    ...(created ? { created } : {}),
    ...(config.config ? { config: config.config } : {}),
    ...(config.architecture ? { architecture: config.architecture } : {}),
  });
  if (committed.manifestDigest !== manifestDigest) {
    await store.remove(deploymentTag(stateroot, id));
    throw BootcErrors.imageNotReferenced(manifestDigest);
  }
}

/**
 * Tags every deployment that has no tag yet: deployments staged before the tags existed would be
 * gc's to free. The sysroot runs this whenever its lock is taken, so every writing verb (stage,
 * finalize, cleanup, rollback, pin, kargs) migrates an older sysroot first. Idempotent (a tagged
 * deployment is skipped) and atomic per deployment (one store commit). A deployment whose image
 * cannot be tagged — its manifest already gone, or not one the store reproduces — is returned as
 * untaggable and left as it was, rather than failing every verb including the cleanup that could
 * remove it.
 */
export async function tagDeployments(
  store: DeployStore,
  deployments: ReadonlyMap<string, DeploymentOrigin>,
): Promise<{ tagged: string[]; untaggable: string[] }> {
  const tags = new Set(await storeTags(store));
  const tagged: string[] = [];
  const untaggable: string[] = [];
  for (const [ref, origin] of deployments) {
    if (tags.has(deploymentTag(origin.stateroot, origin.id))) continue;
    try {
      await referenceImage(store, origin.image.manifestDigest, origin.stateroot, origin.id);
      tagged.push(ref);
    } catch (error) {
      if (!isParticleError(error, "IMAGE_NOT_REFERENCEABLE") && !isMissingFile(error)) throw error;
      untaggable.push(ref);
    }
  }
  return { tagged, untaggable };
}

/**
 * Removes the store tags of deployments that no longer exist (after cleanup removed them, or left by
 * a stage killed before its deployment appeared). Their images become gc's to free.
 */
export async function releaseImages(store: DeployStore, deployments: ReadonlySet<string>): Promise<string[]> {
  const released: string[] = [];
  for (const ref of await storeTags(store)) {
    const colon = ref.lastIndexOf(":");
    const owner = deploymentOfTag(ref.slice(0, colon), ref.slice(colon + 1));
    if (owner === undefined || deployments.has(owner)) continue;
    await store.remove(ref).catch(ignoreGone);
    released.push(owner);
  }
  return released;
}

/**
 * The store's current tags ("name:tag"), from its OCI index: read without loading any image, so an
 * unrelated damaged image cannot fail a cleanup (which runs at the end of every finalize).
 */
async function storeTags(store: DeployStore): Promise<string[]> {
  const index = JSON.parse(
    await fs.readFile(path.join(store.root, "index.json"), "utf8"),
  ) as Partial<OciIndex>;
  return (index.manifests ?? [])
    .map((m) => m.annotations?.[Annotation.refName])
    .filter((ref): ref is string => ref?.includes(":") === true);
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

/** A tag already gone is what removing it wanted. */
function ignoreGone(error: unknown): void {
  if (isParticleError(error, "IMAGE_NOT_FOUND")) return;
  throw error;
}
