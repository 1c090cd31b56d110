import path from "node:path";
import { type InstalledPackage, loadInstalledPackages, mkdirDurable } from "@particle/runtime";
import { BuildEnvironment } from "../build-env/environment.js";
import { type AptLayerContext, buildDirs, statePaths, type TransactionScope } from "../context.js";
import type { PlanAction } from "../debian/apt-plan.js";
import { formatImageRef, type ImageRef, packageNameOf } from "../debian/names.js";
import { loadOsRelease } from "../debian/os-release.js";
import { encodePackageList, labelList } from "../debian/package-list.js";
import { imageExists } from "../errors.js";
import { type Descriptor, findImage, type ImageInfo } from "../image/store.js";
import { LABELS } from "../spec.js";
import { authorizeTenant, checkTenantQuota, loadTenants, tenantOfImage } from "../tenants.js";
import { type AptOptions, applyWithApt, aptUpdate, download, plannedDebBytes, resolvePlan } from "./apt.js";
import { checkFreeSpace } from "./space.js";
import { createTreeLayer } from "./tree-layer.js";

/** Free space a build needs before it starts (more is checked once the download size is known). */
const MIN_FREE_BYTES = 512 * 2 ** 20;
/** Unpacked size, as a multiple of the .deb sizes, plus the layer blob. */
const UNPACK_FACTOR = 4;

export interface LayerRequest extends AptOptions {
  readonly base: string;
  readonly target: ImageRef;
  readonly install?: readonly string[];
  readonly remove?: readonly string[];
  /** Move the tag if the target image exists. @default false */
  readonly replace?: boolean;
  /** Changes made in the environment before apt runs (recipe steps: sources, files, users …), with the network. */
  readonly customize?: (env: BuildEnvironment) => Promise<void>;
  /** Extra labels of the new image. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface LayerResult {
  readonly image: ImageInfo;
  readonly layer: Descriptor;
  readonly plan: PlanAction[];
}

/** Requested and removed packages of an image built on `baseLabels` (pure): layering accumulates them. */
export function mergeRequests(
  baseLabels: Readonly<Record<string, string>>,
  install: readonly string[],
  remove: readonly string[],
): { requested: string[]; removed: string[] } {
  const removedNames = new Set(remove.map(packageNameOf));
  const installedNames = new Set(install.map(packageNameOf));
  const requested = [
    ...labelList(baseLabels, LABELS.requested).filter((p) => !removedNames.has(packageNameOf(p))),
    ...install,
  ];
  const removed = [
    ...labelList(baseLabels, LABELS.removed).filter((p) => !installedNames.has(packageNameOf(p))),
    ...remove,
  ];
  return { requested: [...new Set(requested)].sort(), removed: [...new Set(removed)].sort() };
}

/**
 * Labels of an image made by adding one layer to `base` (pure): the base's own labels carry over
 * (its version, its OCI metadata), except apt-layer's, which describe the base's build and are
 * replaced by this one's; then `extra`.
 */
export function layeredLabels(
  base: ImageInfo,
  build: {
    install: readonly string[];
    remove: readonly string[];
    packages: readonly InstalledPackage[];
    os: string;
  },
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const { requested, removed } = mergeRequests(base.labels, build.install, build.remove);
  return {
    ...Object.fromEntries(
      Object.entries(base.labels).filter(([key]) => !key.startsWith("dev.particle.apt-layer.")),
    ),
    [LABELS.requested]: JSON.stringify(requested),
    [LABELS.removed]: JSON.stringify(removed),
    [LABELS.packages]: encodePackageList(build.packages),
    [LABELS.base]: `${base.name}:${base.tag}`,
    [LABELS.baseDigest]: base.manifestDigest,
    [LABELS.os]: build.os,
    ...extra,
  };
}

/**
 * Builds one layer on a base image and commits it as a new image, inside a transaction (see
 * `withTransaction`): the new image exists only once `commitImage` returns, so a failure or kill at
 * any earlier step leaves no image, and the transaction's cleanup leaves no mount.
 */
export async function buildLayer(
  ctx: AptLayerContext,
  scope: TransactionScope,
  request: LayerRequest,
): Promise<LayerResult> {
  const { tx, workDir } = scope;
  const stage = ctx.onStage ?? (() => {});
  const targetRef = formatImageRef(request.target);
  const install = [...(request.install ?? [])];
  const remove = [...(request.remove ?? [])];
  const tenants = await loadTenants(statePaths(ctx).tenants);
  const tenant = tenantOfImage(tenants, request.target.name);
  const tenantEntry = tenant === undefined ? undefined : authorizeTenant(tenants, tenant, scope.caller);
  if (!request.replace && (await findImage(ctx.store, targetRef))) throw imageExists(targetRef);
  const base = await ctx.store.resolve(request.base);
  await checkFreeSpace(workDir, MIN_FREE_BYTES);
  const aptCache = statePaths(ctx).aptCache;
  await mkdirDurable(aptCache);
  await checkFreeSpace(aptCache, MIN_FREE_BYTES);

  const dirs = buildDirs(workDir);
  await mkdirDurable(dirs.lower);
  stage(`mounting ${request.base}`);
  await ctx.store.mount(base.manifestDigest, dirs.lower);
  await tx.step("mounted");
  const env = await BuildEnvironment.open({
    lower: [dirs.lower],
    dir: dirs.env,
    aptCache,
    sourceDateEpoch: ctx.sourceDateEpoch,
  });
  let plan: PlanAction[] = [];
  let packages: InstalledPackage[];
  let osId: string;
  try {
    if (request.customize) {
      stage("customizing");
      await request.customize(env);
      await tx.step("customized");
    }
    if (install.length > 0 || remove.length > 0) {
      stage("resolving with apt");
      await aptUpdate(env);
      plan = await resolvePlan(env, install, remove, request);
      await tx.step("resolved");
      stage(`downloading ${plan.filter((a) => a.action === "install").length} packages`);
      await download(env, install, request);
      await checkFreeSpace(workDir, (await plannedDebBytes(aptCache, plan)) * UNPACK_FACTOR + MIN_FREE_BYTES);
      await tx.step("downloaded");
      stage("installing with apt (offline)");
      await applyWithApt(env, install, remove, request);
      await tx.step("installed");
    }
    packages = await loadInstalledPackages(env.root);
    osId = (await loadOsRelease(env.root)).ID ?? "debian";
  } finally {
    await env.close();
    await ctx.store.unmount(dirs.lower);
  }
  stage("creating the layer");
  const layer = await createTreeLayer(ctx, scope, path.join(dirs.env, "upper"));
  if (tenant !== undefined && tenantEntry !== undefined)
    await checkTenantQuota(ctx.store, tenant, tenantEntry, [...base.layers, layer]);
  const image = await ctx.store.commitImage({
    name: request.target.name,
    tag: request.target.tag,
    layers: [...base.layers, layer],
    parent: base.manifestDigest,
    builtBy: "apt-layer",
    labels: layeredLabels(base, { install, remove, packages, os: osId }, request.labels),
  });
  await tx.step("committed");
  stage(`committed ${targetRef}`);
  return { image, layer, plan };
}
