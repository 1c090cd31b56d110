import { isParticleError, sha256Hex } from "@particle/runtime";
import { BootcErrors } from "../errors.js";
import type { DeployStore } from "../sysroot/store.js";
import type { Sysroot } from "../sysroot/sysroot.js";
import { finalizeStaged } from "./finalize.js";
import { mergeDeployment, type StageResult, stageDeployment } from "./stage.js";

/**
 * Brings an image from outside into the store (normally `importImage` of @particle/oci): `source` is a
 * transport reference (`oci:DIR:TAG`, `docker://host/repo:tag`), `name` the store's name:tag for it.
 * Returns the manifest digest now tagged `name`.
 */
export type ImageImporter = (
  store: DeployStore,
  source: string,
  name: string,
) => Promise<{ manifestDigest: string }>;

const TRANSPORT = /^(oci|oci-archive|docker|docker-archive|dir):/;

export function isTransportReference(reference: string): boolean {
  return TRANSPORT.test(reference);
}

/** The store name:tag that tracks a transport reference (pure, stable across runs). */
export function trackingName(reference: string): string {
  return `bootc/tracked-${sha256Hex(reference).slice(0, 16)}:latest`;
}

/** Puts the image a reference names into the store (imports transport references) and returns its store reference. */
export async function fetchImage(
  sysroot: Sysroot,
  reference: string,
  importer?: ImageImporter,
): Promise<string> {
  if (!isTransportReference(reference)) return reference;
  if (importer === undefined) throw BootcErrors.noImporter(reference);
  const name = trackingName(reference);
  return (await importer(sysroot.store, reference, name)).manifestDigest;
}

export interface SwitchOptions {
  readonly reference: string;
  /** The reference later upgrades follow, when it differs from where the image is fetched now (bootc's --target-imgref). */
  readonly trackedReference?: string;
  readonly importer?: ImageImporter;
  readonly stateroot?: string;
  readonly kargs?: readonly string[];
  /** Make it the default now instead of at shutdown. @default false */
  readonly finalize?: boolean;
}

/**
 * Whether a change of deployment takes effect at once rather than at shutdown: when asked, and always
 * on a sysroot this machine is not booted from, where no shutdown runs finalize-staged.
 */
export function finalizesNow(sysroot: Sysroot, requested: boolean): boolean {
  return requested || sysroot.booted === undefined;
}

/** Deploys an image (seed form `deploy IMAGE`, and `switch IMAGE`): fetch, stage, optionally finalize. */
export async function switchImage(sysroot: Sysroot, options: SwitchOptions): Promise<StageResult> {
  const image = await fetchImage(sysroot, options.reference, options.importer);
  const staged = await stageDeployment(sysroot, {
    image,
    reference: options.trackedReference ?? options.reference,
    ...(options.stateroot ? { stateroot: options.stateroot } : {}),
    ...(options.kargs ? { kargs: options.kargs } : {}),
  });
  if (options.finalize) await finalizeStaged(sysroot, staged.origin.stateroot);
  return staged;
}

export interface UpgradeResult {
  /** `none`: the tracked reference still names the image of the merge deployment. */
  readonly outcome: "none" | "available" | "staged" | "finalized";
  readonly reference: string;
  readonly current: string;
  readonly latest: string;
  readonly deployment?: string;
}

/** Looks for a newer image of the reference the booted (or default) deployment follows, and stages it. */
export async function upgrade(
  sysroot: Sysroot,
  options: { importer?: ImageImporter; check?: boolean; finalize?: boolean } = {},
): Promise<UpgradeResult> {
  const from = await mergeDeployment(sysroot);
  if (from === undefined) throw BootcErrors.noDeployment("booted or default");
  const origin = await sysroot.origin(from);
  const reference = origin.image.reference;
  const image = await fetchImage(sysroot, reference, options.importer);
  const latest = (
    await sysroot.store.resolve(isTransportReference(reference) ? image : origin.image.storeRef)
  ).manifestDigest;
  const base = { reference, current: origin.image.manifestDigest, latest };
  if (latest === origin.image.manifestDigest) return { outcome: "none", ...base };
  const staged = [...(await sysroot.staged()).values()];
  if (staged.length > 0) {
    const stagedOrigin = await sysroot
      .origin(`${origin.stateroot}/${staged[0]?.deployment}`)
      .catch((error: unknown) => {
        // staged.json may name a deployment cleanup removed; a damaged origin must not pass for that.
        if (isParticleError(error, "DEPLOYMENT_NOT_FOUND")) return undefined;
        throw error;
      });
    if (stagedOrigin?.image.manifestDigest === latest) {
      const deployment = `${origin.stateroot}/${stagedOrigin.id}`;
      if (options.check || !options.finalize) return { outcome: "staged", ...base, deployment };
      await finalizeStaged(sysroot, origin.stateroot);
      return { outcome: "finalized", ...base, deployment };
    }
  }
  if (options.check) return { outcome: "available", ...base };
  const result = await stageDeployment(sysroot, { image: latest, reference, stateroot: origin.stateroot });
  if (options.finalize) {
    await finalizeStaged(sysroot, origin.stateroot);
    return { outcome: "finalized", ...base, deployment: result.deployment };
  }
  return { outcome: "staged", ...base, deployment: result.deployment };
}
