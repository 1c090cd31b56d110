import { promises as fs } from "node:fs";
import { fsyncDir, Transaction } from "@particle/runtime";
import { forgetBlob } from "./blobcheck.js";
import { StoreErrors } from "./errors.js";
import { blobFile, readIndex, readJsonBlob, type StorePaths, writeIndex } from "./layout.js";
import { type Descriptor, MediaType, OciIndex, OciManifest } from "./oci-spec.js";
import { isDigest } from "./refs.js";
import { pruneHistory } from "./tags.js";

export interface GcOptions {
  /** History entries kept per tag (older ones are dropped and their images collected). @default 5 */
  readonly keepHistory?: number;
  /**
   * Unreferenced blobs younger than this are kept: a layer made by `createLayer` is unreferenced
   * until the `commitImage` that follows it. @default 600000 (10 minutes)
   */
  readonly minAgeMs?: number;
  /** Report what would be removed without removing it. @default false */
  readonly dryRun?: boolean;
}

export interface GcReport {
  readonly removed: { digest: string; size: number }[];
  readonly bytesFreed: number;
  /** History entries dropped beyond the retention. */
  readonly historyPruned: number;
  /** Blobs kept. */
  readonly kept: number;
  readonly dryRun: boolean;
}

/**
 * Every blob reachable from the given manifest or index descriptors. Lenient (for verify), a missing
 * or damaged manifest marks nothing more; strict (for gc and backup), it is an error, because its
 * layers would otherwise look unreferenced.
 */
export async function markReachable(
  paths: StorePaths,
  roots: readonly Descriptor[],
  options: { strict: boolean },
): Promise<Set<string>> {
  const marked = new Set<string>();
  const queue = [...roots];
  for (let d = queue.pop(); d !== undefined; d = queue.pop()) {
    if (marked.has(d.digest)) continue;
    marked.add(d.digest);
    try {
      if (d.mediaType === MediaType.ociIndex) {
        queue.push(...(await readJsonBlob(paths, d.digest, OciIndex)).manifests);
      } else if (d.mediaType === MediaType.ociManifest) {
        const manifest = await readJsonBlob(paths, d.digest, OciManifest);
        marked.add(manifest.config.digest);
        for (const layer of manifest.layers) marked.add(layer.digest);
      }
    } catch (error) {
      if (options.strict) throw error;
    }
  }
  return marked;
}

/** The stored blobs, with size and age. */
export async function listBlobs(
  paths: StorePaths,
): Promise<{ digest: string; size: number; mtimeMs: number }[]> {
  const blobs: { digest: string; size: number; mtimeMs: number }[] = [];
  for (const name of await fs.readdir(paths.blobsDir)) {
    const digest = `sha256:${name}`;
    if (!isDigest(digest)) continue;
    const stat = await fs.stat(blobFile(paths, digest)).catch(() => undefined);
    if (stat?.isFile()) blobs.push({ digest, size: stat.size, mtimeMs: stat.mtimeMs });
  }
  return blobs;
}

async function sweep(paths: StorePaths, digests: readonly string[]): Promise<void> {
  for (const digest of digests) {
    await fs.rm(blobFile(paths, digest), { force: true });
    await forgetBlob(paths, digest);
  }
  await fsyncDir(paths.blobsDir);
}

/**
 * Removes blobs that no tag, no history entry within the retention and no mounted image references.
 * Journaled as `store.gc`: the pruned index is written before any blob is deleted, so a kill at any
 * step leaves every remaining entry complete. Hold the writer lock.
 */
export async function gcWrite(
  paths: StorePaths,
  mountedManifests: readonly Descriptor[],
  options: GcOptions = {},
): Promise<GcReport> {
  const dryRun = options.dryRun ?? false;
  const original = await readIndex(paths);
  const { index, pruned } = pruneHistory(original, options.keepHistory ?? 5);
  const marked = await markReachable(paths, [...index.manifests, ...mountedManifests], {
    strict: true,
  }).catch((error: unknown) => {
    throw StoreErrors.gcRefused(error);
  });
  const cutoff = Date.now() - (options.minAgeMs ?? 600_000);
  const blobs = await listBlobs(paths);
  const removed = blobs
    .filter((b) => !marked.has(b.digest) && b.mtimeMs <= cutoff)
    .map(({ digest, size }) => ({ digest, size }));
  const report: GcReport = {
    removed,
    bytesFreed: removed.reduce((sum, b) => sum + b.size, 0),
    historyPruned: pruned.length,
    kept: blobs.length - removed.length,
    dryRun,
  };
  if (dryRun || (removed.length === 0 && pruned.length === 0)) return report;
  const tx = await Transaction.begin(paths.journalDir, "store.gc", { sweep: removed.map((b) => b.digest) });
  if (pruned.length > 0) await writeIndex(paths, index);
  await tx.step("history-pruned");
  await sweep(
    paths,
    removed.map((b) => b.digest),
  );
  await tx.step("swept");
  await tx.commit();
  return report;
}

/**
 * Finishes a killed gc: deletes the blobs it meant to, except any that the index references now.
 * If an image's manifest has become unreadable meanwhile, it deletes nothing (the leftovers are
 * only unreferenced blobs) rather than risk that image's layers.
 */
export async function recoverGc(paths: StorePaths, intent: Record<string, unknown>): Promise<void> {
  const planned = Array.isArray(intent.sweep)
    ? intent.sweep.filter((d): d is string => typeof d === "string" && isDigest(d))
    : [];
  const marked = await markReachable(paths, (await readIndex(paths)).manifests, { strict: true }).catch(
    () => undefined,
  );
  if (marked === undefined) return;
  await sweep(
    paths,
    planned.filter((d) => !marked.has(d)),
  );
}
