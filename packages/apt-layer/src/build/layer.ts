import path from "node:path";
import { type InstalledPackage, loadInstalledPackages, mkdirDurable } from "@particle/runtime";
import { BuildEnvironment } from "../build-env/environment.js";
import { type AptLayerContext, buildDirs, statePaths, type TransactionScope } from "../context.js";
import type { PlanAction } from "../debian/apt-plan.js";
import { formatImageRef, type ImageRef, packageNameOf } from "../debian/names.js";
import { loadOsRelease, osLabels } from "../debian/os-release.js";
import {
  encodePackageList,
  labelList,
  localPackageRecords,
  mergeLocalPackages,
} from "../debian/package-list.js";
import { imageExists } from "../errors.js";
import { type Descriptor, findImage, type ImageInfo } from "../image/store.js";
import { LABELS, type LocalPackageRecord } from "../spec.js";
import { authorizeTenant, checkTenantQuota, loadTenants, tenantOfImage } from "../tenants.js";
import { type AptOptions, applyWithApt, aptUpdate, download, plannedDebBytes, resolvePlan } from "./apt.js";
import {
  bindLocalDebs,
  type LocalDebInput,
  readLocalDebFields,
  type StagedDeb,
  stageLocalDebs,
} from "./local-deb.js";
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
  /** Local .deb files installed with `install` (apt resolves them together), recorded as local. */
  readonly localDebs?: readonly LocalDebInput[];
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
    /** The new tree's os-release; default: the base's os labels carry over. */
    osRelease?: Readonly<Record<string, string>>;
    /** Packages this build installed from local .debs. */
    local?: readonly LocalPackageRecord[];
  },
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const { requested, removed } = mergeRequests(base.labels, build.install, build.remove);
  const local = mergeLocalPackages(localPackageRecords(base.labels), build.local ?? [], build.packages);
  const os = build.osRelease
    ? osLabels(build.osRelease)
    : Object.fromEntries(
        [LABELS.os, LABELS.suite].flatMap((k) => (k in base.labels ? [[k, base.labels[k]]] : [])),
      );
  return {
    ...Object.fromEntries(
      Object.entries(base.labels).filter(([key]) => !key.startsWith("dev.particle.apt-layer.")),
    ),
    [LABELS.requested]: JSON.stringify(requested),
    [LABELS.removed]: JSON.stringify(removed),
    [LABELS.packages]: encodePackageList(build.packages),
    [LABELS.base]: `${base.name}:${base.tag}`,
    [LABELS.baseDigest]: base.manifestDigest,
    ...os,
    ...(local.length > 0 ? { [LABELS.local]: JSON.stringify(local) } : {}),
    ...extra,
  };
}

function localBytes(staged: readonly StagedDeb[]): number {
  return staged.reduce((sum, d) => sum + d.size, 0);
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
  const localDir = path.join(workDir, "local");
  const staged = await stageLocalDebs(request.localDebs ?? [], localDir);
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
  let osRelease: Record<string, string>;
  const local: LocalPackageRecord[] = [];
  try {
    if (request.customize) {
      stage("customizing");
      await request.customize(env);
      await tx.step("customized");
    }
    if (staged.length > 0) {
      await bindLocalDebs(env, localDir);
      for (const deb of staged) local.push(await readLocalDebFields(env, deb));
    }
    // apt reads a local .deb given by its path (as `apt install ./x.deb`), with the archive's packages.
    const wanted = [...install, ...staged.map((d) => d.inside)];
    if (wanted.length > 0 || remove.length > 0) {
      stage("resolving with apt");
      await aptUpdate(env);
      plan = await resolvePlan(env, wanted, remove, request);
      await tx.step("resolved");
      stage(`downloading ${plan.filter((a) => a.action === "install").length} packages`);
      await download(env, wanted, request);
      const debBytes = (await plannedDebBytes(aptCache, plan)) + localBytes(staged);
      await checkFreeSpace(workDir, debBytes * UNPACK_FACTOR + MIN_FREE_BYTES);
      await tx.step("downloaded");
      stage("installing with apt (offline)");
      await applyWithApt(env, wanted, remove, request);
      await tx.step("installed");
    }
    packages = await loadInstalledPackages(env.root);
    osRelease = await loadOsRelease(env.root);
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
    labels: layeredLabels(base, { install, remove, packages, osRelease, local }, request.labels),
  });
  await tx.step("committed");
  stage(`committed ${targetRef}`);
  return { image, layer, plan };
}
