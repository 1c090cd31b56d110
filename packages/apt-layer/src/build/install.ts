import type { AptLayerContext } from "../context.js";
import { withTransaction } from "../context.js";
import { formatImageRef, isDigestRef, parseImageRef, validatePackageSpecs } from "../debian/names.js";
import { buildLayer, type LayerRequest, type LayerResult } from "./layer.js";
import { isLocalDebArg, type LocalDebInput } from "./local-deb.js";

export interface InstallRequest extends Omit<LayerRequest, "target" | "customize" | "base"> {
  /** Base image (`NAME/TAG`, `NAME:TAG` or a manifest digest). */
  readonly base: string;
  /** New image (`NAME/TAG` or `NAME:TAG`). */
  readonly target: string;
}

/** Normalises a user's base reference for the store (pure; validates it). */
export function storeRef(ref: string): string {
  return isDigestRef(ref) ? ref : formatImageRef(parseImageRef(ref));
}

/**
 * Splits install arguments as apt does: one with a slash (`./x.deb`, `/srv/debs/x.deb`) is a local
 * .deb file, anything else a package name, checked here (pure).
 */
export function splitInstallArgs(args: readonly string[]): { install: string[]; localDebs: LocalDebInput[] } {
  return {
    install: validatePackageSpecs(args.filter((a) => !isLocalDebArg(a))),
    localDebs: args.filter(isLocalDebArg).map((p) => ({ path: p })),
  };
}

/**
 * `apt-layer BASE NEW PKG...`, `install` and `remove`: one transaction that installs and removes
 * packages on a base image and commits the result as a new image. Names are validated and resolved
 * with apt before anything is built.
 */
export async function layerPackages(ctx: AptLayerContext, request: InstallRequest): Promise<LayerResult> {
  const install = validatePackageSpecs(request.install ?? []);
  const remove = validatePackageSpecs(request.remove ?? []);
  const base = storeRef(request.base);
  const target = parseImageRef(request.target);
  return withTransaction(
    ctx,
    "apt-layer.build",
    {
      target: formatImageRef(target),
      base,
      install,
      remove,
      local: (request.localDebs ?? []).map((d) => d.path),
    },
    (scope) => buildLayer(ctx, scope, { ...request, base, target, install, remove }),
  );
}
