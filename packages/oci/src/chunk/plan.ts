import { createHash } from "node:crypto";
import path from "node:path";
import { ociError } from "../errors.js";

/**
 * Groups an image's files into layers by the package that owns them, so that an image which
 * upgrades one package changes one package layer (and the final layer, which holds what no
 * package owns: dpkg's status, configuration written by scripts, /dev …). Pure.
 *
 * With N layers: the largest packages get a layer of their own (half of the N-1 package layers,
 * the big ones dominate transfer size), the other packages are spread over the remaining layers
 * by a hash of their name, which does not depend on versions or sizes, so a package stays in its
 * layer across upgrades.
 */

export interface PlannedFile {
  readonly path: string;
  readonly size: number;
  readonly directory: boolean;
}

export interface ChunkLayer {
  /** Packages whose files this layer holds (empty for the final layer). */
  readonly packages: readonly string[];
  /** Paths in this layer, in scan order, directories included (every ancestor of its files). */
  readonly paths: readonly string[];
}

export function planChunks(
  files: readonly PlannedFile[],
  owners: ReadonlyMap<string, string>,
  maxLayers: number,
): ChunkLayer[] {
  if (!Number.isInteger(maxLayers) || maxLayers < 2)
    throw ociError("TOO_MANY_LAYERS", `--max-layers ${maxLayers} is too small for a chunked export`);
  const sizes = new Map<string, number>();
  for (const f of files) {
    const pkg = f.directory ? undefined : owners.get(f.path);
    if (pkg !== undefined) sizes.set(pkg, (sizes.get(pkg) ?? 0) + f.size);
  }
  const bySize = [...sizes.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([p]) => p);
  const packageLayers = maxLayers - 1;
  const own = bySize.length <= packageLayers ? bySize : bySize.slice(0, Math.floor(packageLayers / 2));
  const shared = bySize.length <= packageLayers ? 0 : packageLayers - own.length;
  const layerOf = new Map<string, number>();
  for (const [i, pkg] of own.entries()) layerOf.set(pkg, i);
  for (const pkg of bySize.slice(own.length)) {
    const bucket = createHash("sha256").update(pkg).digest().readUInt32BE(0) % shared;
    layerOf.set(pkg, own.length + bucket);
  }
  const count = own.length + shared;
  const finalIndex = count;
  const layerPackages: string[][] = Array.from({ length: count + 1 }, () => []);
  for (const [pkg, i] of layerOf) layerPackages[i]?.push(pkg);
  const layerPaths: Set<string>[] = Array.from({ length: count + 1 }, () => new Set());
  for (const f of files) {
    if (f.directory) continue;
    const pkg = owners.get(f.path);
    const index = pkg === undefined ? finalIndex : (layerOf.get(pkg) as number);
    const set = layerPaths[index] as Set<string>;
    for (let dir = path.posix.dirname(f.path); dir !== "." && !set.has(dir); dir = path.posix.dirname(dir))
      set.add(dir);
    set.add(f.path);
  }
  // Every directory (empty ones too) is in the final layer, so the tree is complete there.
  const last = layerPaths[finalIndex] as Set<string>;
  for (const f of files) if (f.directory) last.add(f.path);
  const order = files.map((f) => f.path);
  return layerPaths
    .map((set, i) => ({ packages: (layerPackages[i] ?? []).sort(), paths: order.filter((p) => set.has(p)) }))
    .filter((layer, i) => i === finalIndex || layer.paths.length > 0);
}
