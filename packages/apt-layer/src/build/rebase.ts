import type { AptLayerContext } from "../context.js";
import { withTransaction } from "../context.js";
import { formatImageRef, parseImageRef } from "../debian/names.js";
import { labelList, localPackageRecords } from "../debian/package-list.js";
import { localPackagesRebase, notLayered } from "../errors.js";
import { LABELS } from "../spec.js";
import { storeRef } from "./install.js";
import { buildLayer, type LayerResult } from "./layer.js";

export interface RebaseRequest {
  /** A layered image. */
  readonly image: string;
  /** The base to re-apply its packages on. */
  readonly newBase: string;
  /** Name of the result. @default the image's own name and tag (the tag moves) */
  readonly target?: string;
}

/**
 * Re-applies an image's requested installs and removals on a new base (how local layering survives
 * a base upgrade): the packages are resolved afresh against the new base, so dependencies follow it.
 */
export async function rebaseImage(ctx: AptLayerContext, request: RebaseRequest): Promise<LayerResult> {
  const imageRef = storeRef(request.image);
  const image = await ctx.store.resolve(imageRef);
  if (image.labels[LABELS.requested] === undefined) throw notLayered(imageRef);
  // A local .deb is not in any archive: it cannot be resolved afresh on the new base.
  const local = localPackageRecords(image.labels);
  if (local.length > 0)
    throw localPackagesRebase(
      imageRef,
      local.map((p) => p.name),
    );
  const install = labelList(image.labels, LABELS.requested);
  const remove = labelList(image.labels, LABELS.removed);
  const target = parseImageRef(request.target ?? `${image.name}:${image.tag}`);
  const base = storeRef(request.newBase);
  return withTransaction(
    ctx,
    "apt-layer.build",
    { target: formatImageRef(target), base, rebaseOf: image.manifestDigest, install, remove },
    (scope) =>
      buildLayer(ctx, scope, {
        base,
        target,
        install,
        remove,
        replace: request.target === undefined,
        labels: {
          [LABELS.message]: `rebase of ${image.name}:${image.tag} (${image.manifestDigest}) onto ${base}`,
        },
      }),
  );
}
