import path from "node:path";
import { loadInstalledPackages, mkdirDurable, pathExists, run } from "@particle/runtime";
import {
  type AptLayerContext,
  DEFAULT_SOURCE_DATE_EPOCH,
  type TransactionScope,
  withTransaction,
} from "../context.js";
import { formatImageRef, type ImageRef, parseImageRef, validatePackageSpecs } from "../debian/names.js";
import { loadOsRelease, osLabels } from "../debian/os-release.js";
import { encodePackageList } from "../debian/package-list.js";
import { suiteProfile } from "../debian/suites.js";
import { bootstrapInvalid, imageExists, keyringMissing } from "../errors.js";
import { findImage, type ImageInfo } from "../image/store.js";
import { BootstrapSpec, LABELS } from "../spec.js";
import { createTreeLayer } from "./tree-layer.js";

/** Bootstrap settings (`[bootstrap]`); an empty mirror, components or keyring means the suite profile's. */
export interface BootstrapDefaults {
  readonly mirror: string;
  readonly components: readonly string[];
  readonly variant: NonNullable<BootstrapSpec["variant"]>;
  readonly keyring: string;
}

/** What mmdebstrap is given: the spec's fields, else the settings, else the suite's profile. */
export interface BootstrapPlan {
  readonly suite: string;
  readonly mirror: string;
  readonly components: readonly string[];
  readonly variant: NonNullable<BootstrapSpec["variant"]>;
  readonly keyring: string;
  /** The host package that installs the keyring, when it is the profile's. */
  readonly keyringPackage?: string;
  readonly include: readonly string[];
}

/** Resolves a bootstrap spec against the settings and the suite's profile (pure; an unknown suite fails). */
export function bootstrapPlan(spec: BootstrapSpec, defaults: BootstrapDefaults): BootstrapPlan {
  const profile = suiteProfile(spec.suite);
  const keyring = spec.keyring || defaults.keyring || profile.keyring.file;
  const components = spec.components ?? defaults.components;
  return {
    suite: spec.suite,
    mirror: spec.mirror ?? (defaults.mirror || profile.mirror),
    components: components.length > 0 ? components : profile.components,
    variant: spec.variant ?? defaults.variant,
    keyring,
    ...(keyring === profile.keyring.file ? { keyringPackage: profile.keyring.package } : {}),
    include: validatePackageSpecs(spec.include ?? []),
  };
}

/** The mmdebstrap argument vector of a plan (pure). */
export function mmdebstrapArgs(plan: BootstrapPlan, target: string): string[] {
  const args = [
    `--variant=${plan.variant}`,
    `--components=${plan.components.join(",")}`,
    "--quiet",
    `--keyring=${plan.keyring}`,
  ];
  if (plan.include.length > 0) args.push(`--include=${plan.include.join(",")}`);
  args.push("--", plan.suite, target, plan.mirror);
  return args;
}

/** Commits a whole root filesystem tree as a one-layer image (inside a transaction; pass a scratch copy). */
async function commitTree(
  ctx: AptLayerContext,
  scope: TransactionScope,
  tree: string,
  target: ImageRef,
  labels: Record<string, string>,
): Promise<ImageInfo> {
  const layer = await createTreeLayer(ctx, scope, tree);
  const image = await ctx.store.commitImage({
    name: target.name,
    tag: target.tag,
    layers: [layer],
    builtBy: "apt-layer",
    labels: {
      [LABELS.requested]: "[]",
      [LABELS.removed]: "[]",
      [LABELS.packages]: encodePackageList(await loadInstalledPackages(tree)),
      ...osLabels(await loadOsRelease(tree)),
      ...labels,
    },
  });
  await scope.tx.step("committed");
  return image;
}

async function ensureNew(ctx: AptLayerContext, target: ImageRef, replace: boolean): Promise<void> {
  if (replace) return;
  if (await findImage(ctx.store, formatImageRef(target))) throw imageExists(formatImageRef(target));
}

/** `apt-layer bootstrap NAME/TAG`: a base image made by mmdebstrap from a suite and mirror. */
export async function bootstrapImage(
  ctx: AptLayerContext,
  request: { target: string; spec: BootstrapSpec; defaults: BootstrapDefaults; replace?: boolean },
): Promise<ImageInfo> {
  const target = parseImageRef(request.target);
  const parsed = BootstrapSpec.safeParse(request.spec);
  if (!parsed.success)
    throw bootstrapInvalid(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const plan = bootstrapPlan(parsed.data, request.defaults);
  if (!(await pathExists(plan.keyring))) throw keyringMissing(plan.keyring, plan.keyringPackage, plan.suite);
  return withTransaction(
    ctx,
    "apt-layer.bootstrap",
    { target: formatImageRef(target), suite: plan.suite },
    async (scope) => {
      await ensureNew(ctx, target, request.replace ?? false);
      const tree = path.join(scope.workDir, "rootfs");
      await mkdirDurable(tree);
      (ctx.onStage ?? (() => {}))(`bootstrapping ${plan.suite} with mmdebstrap`);
      await run("mmdebstrap", mmdebstrapArgs(plan, tree), {
        env: { SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH) },
      });
      await scope.tx.step("bootstrapped");
      return commitTree(ctx, scope, tree, target, { [LABELS.message]: `mmdebstrap ${plan.suite}` });
    },
  );
}

/** Imports a root filesystem directory as a base image (it is copied first: the source is left as is). */
export async function importTree(
  ctx: AptLayerContext,
  request: { source: string; target: string; replace?: boolean },
): Promise<ImageInfo> {
  const target = parseImageRef(request.target);
  return withTransaction(
    ctx,
    "apt-layer.bootstrap",
    { target: formatImageRef(target), source: request.source },
    async (scope) => {
      await ensureNew(ctx, target, request.replace ?? false);
      const tree = path.join(scope.workDir, "rootfs");
      // cp -a keeps owners, modes, links, device nodes and xattrs; the copy is on the same disk as the build.
      await run("cp", ["-a", "--reflink=auto", "--", request.source, tree]);
      await scope.tx.step("copied");
      return commitTree(ctx, scope, tree, target, { [LABELS.message]: `imported from ${request.source}` });
    },
  );
}
