import path from "node:path";
import { loadInstalledPackages, mkdirDurable, run } from "@particle/runtime";
import {
  type AptLayerContext,
  DEFAULT_SOURCE_DATE_EPOCH,
  type TransactionScope,
  withTransaction,
} from "../context.js";
import { formatImageRef, type ImageRef, parseImageRef, validatePackageSpecs } from "../debian/names.js";
import { loadOsRelease } from "../debian/os-release.js";
import { encodePackageList } from "../debian/package-list.js";
import { bootstrapInvalid, imageExists } from "../errors.js";
import { findImage, type ImageInfo } from "../image/store.js";
import { BootstrapSpec, LABELS } from "../spec.js";
import { createTreeLayer } from "./tree-layer.js";

export interface BootstrapDefaults {
  readonly mirror: string;
  readonly components: readonly string[];
  readonly variant: NonNullable<BootstrapSpec["variant"]>;
  readonly keyring: string;
}

/** The mmdebstrap argument vector for a spec (pure). */
export function mmdebstrapArgs(spec: BootstrapSpec, defaults: BootstrapDefaults, target: string): string[] {
  const args = [
    `--variant=${spec.variant ?? defaults.variant}`,
    `--components=${(spec.components ?? defaults.components).join(",")}`,
    "--quiet",
  ];
  const keyring = spec.keyring ?? defaults.keyring;
  if (keyring) args.push(`--keyring=${keyring}`);
  if (spec.include && spec.include.length > 0)
    args.push(`--include=${validatePackageSpecs(spec.include).join(",")}`);
  args.push("--", spec.suite, target, spec.mirror ?? defaults.mirror);
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
      [LABELS.os]: (await loadOsRelease(tree)).ID ?? "debian",
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
  return withTransaction(
    ctx,
    "apt-layer.bootstrap",
    { target: formatImageRef(target), suite: request.spec.suite },
    async (scope) => {
      await ensureNew(ctx, target, request.replace ?? false);
      const tree = path.join(scope.workDir, "rootfs");
      await mkdirDurable(tree);
      (ctx.onStage ?? (() => {}))(`bootstrapping ${request.spec.suite} with mmdebstrap`);
      await run("mmdebstrap", mmdebstrapArgs(request.spec, request.defaults, tree), {
        env: { SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH) },
      });
      await scope.tx.step("bootstrapped");
      return commitTree(ctx, scope, tree, target, { [LABELS.message]: `mmdebstrap ${request.spec.suite}` });
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
