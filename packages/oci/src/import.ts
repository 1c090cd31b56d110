import { promises as fs } from "node:fs";
import path from "node:path";
import type { Store } from "@particle/composefs";
import { failpoint } from "@particle/runtime";
import { withCleanup } from "./cleanup.js";
import { ociError } from "./errors.js";
import { layerKind } from "./image/documents.js";
import { hasher, writeStreamAtomic } from "./image/verify.js";
import { parseTransportRef, type TransportRef } from "./reference.js";
import { Annotation, type Descriptor, MediaType, type OciImageConfig } from "./spec.js";
import { connect } from "./stream.js";
import { byteCounter, type DecompressLimits, decompress } from "./tar/compress.js";
import { extractTar } from "./tar/extract.js";
import { readTar } from "./tar/read.js";
import { ociToOverlay } from "./tar/whiteout.js";
import type { TransportOptions } from "./transport/context.js";
import { openSource } from "./transport/source.js";

/** Layer annotation recording the diffID a native layer was imported from (the diffID → layer map). */
export const DIFF_ID_ANNOTATION = "dev.particle.layer.diffid";

export interface ImportProgress {
  readonly phase: "download" | "store";
  readonly layer: number;
  readonly layers: number;
  readonly bytes: number;
  readonly total?: number;
}

export interface ImportOptions extends TransportOptions {
  readonly limits?: DecompressLimits;
  /** Native layer format and compression for the store. */
  readonly layerFormat?: "squashfs" | "erofs";
  readonly layerCompression?: string;
  readonly layerLevel?: number;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportedLayer {
  readonly source: string;
  readonly digest: string;
  readonly status: "reused" | "imported";
}

export interface ImportResult {
  readonly source: string;
  readonly image: string;
  readonly manifestDigest: string;
  readonly layers: readonly ImportedLayer[];
}

/** diffID → native layer, from the layers of every image already in the store. */
async function knownLayers(store: Store): Promise<Map<string, Descriptor>> {
  const known = new Map<string, Descriptor>();
  for (const image of await store.list()) {
    for (const layer of image.layers) {
      const diffId = layer.annotations?.[DIFF_ID_ANNOTATION];
      if (diffId) known.set(diffId, layer);
      // Only native layers can be reused as they are; a store layer of another type is skipped here.
      if (layer.mediaType === MediaType.particleSquashfs || layer.mediaType === MediaType.particleErofs)
        known.set(layer.digest, layer);
    }
  }
  return known;
}

/** The runtime config as the store takes it: Docker's nulls dropped, labels passed on their own. */
function runtimeConfig(config: OciImageConfig["config"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config ?? {}))
    if (value !== null && value !== undefined && key !== "Labels") out[key] = value;
  return out;
}

function splitName(name: string): { name: string; tag?: string } {
  const colon = name.lastIndexOf(":");
  return colon > 0 && !name.slice(colon).includes("/")
    ? { name: name.slice(0, colon), tag: name.slice(colon + 1) }
    : { name };
}

/**
 * Imports an image into the store as native layers. Every blob is verified (digest and size as it
 * streams, and each tar layer's diffID once unpacked); each tar layer is unpacked with the safe
 * extractor into scratch space as an overlay upper (OCI whiteouts become overlayfs ones), and the
 * store is only touched after every layer has passed, so hostile input leaves it unchanged.
 * Layers the store already has (same diffID) are reused.
 */
export async function importImage(
  store: Store,
  source: string | TransportRef,
  name: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const ref = typeof source === "string" ? parseTransportRef(source) : source;
  await fs.mkdir(options.workDir, { recursive: true });
  const work = await fs.mkdtemp(path.join(options.workDir, "import-"));
  const image = await openSource(ref, options).catch(async (error: unknown) => {
    await fs.rm(work, { recursive: true, force: true });
    throw error;
  });
  return withCleanup(
    async () => {
      const { manifest, config } = image;
      const tarLayers = manifest.layers.filter((l) => layerKind(l.mediaType) === "tar");
      if (tarLayers.length > 0 && tarLayers.length !== config.rootfs.diff_ids.length) {
        throw ociError(
          "DOCUMENT_INVALID",
          `${image.name}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids in the config`,
        );
      }
      const known = await knownLayers(store);
      const count = manifest.layers.length;
      type Staged =
        | { kind: "reuse"; desc: Descriptor }
        | { kind: "dir"; dir: string; diffId: string }
        | { kind: "blob"; file: string; desc: Descriptor };
      const staged: Staged[] = [];
      for (const [i, layer] of manifest.layers.entries()) {
        const progress = (bytes: number) =>
          options.onProgress?.({ phase: "download", layer: i + 1, layers: count, bytes, total: layer.size });
        if (layerKind(layer.mediaType) === "native") {
          const existing = known.get(layer.digest);
          if (existing) {
            staged.push({ kind: "reuse", desc: existing });
            continue;
          }
          const file = path.join(work, `native-${i}`);
          await writeStreamAtomic(connect(await image.openBlob(layer), byteCounter(progress)), file, layer);
          staged.push({ kind: "blob", file, desc: layer });
          continue;
        }
        const diffId = config.rootfs.diff_ids[i] as string;
        const existing = known.get(diffId);
        if (existing) {
          staged.push({ kind: "reuse", desc: existing });
          continue;
        }
        const dir = path.join(work, `layer-${i}`);
        await fs.mkdir(dir);
        const blob = await image.openBlob(layer);
        const tar = await decompress(connect(blob, byteCounter(progress)), options.limits);
        const diff = hasher();
        await extractTar(ociToOverlay(readTar(connect(tar, diff))), dir, { devices: "allow" });
        const actual = diff.result().digest;
        if (actual !== diffId) {
          throw ociError(
            "BLOB_DIGEST_MISMATCH",
            `layer ${i + 1} of ${image.name} unpacks to ${actual}, its config says ${diffId}`,
            { context: { digest: diffId, actual } },
          );
        }
        staged.push({ kind: "dir", dir, diffId });
      }
      // Everything is verified and unpacked; the store has not been touched yet.
      failpoint("oci.import/layers-staged");
      const layers: Descriptor[] = [];
      const report: ImportedLayer[] = [];
      for (const [i, item] of staged.entries()) {
        const sourceDigest = manifest.layers[i]?.digest as string;
        options.onProgress?.({ phase: "store", layer: i + 1, layers: count, bytes: 0 });
        if (item.kind === "reuse") {
          layers.push(item.desc);
          report.push({ source: sourceDigest, digest: item.desc.digest, status: "reused" });
          continue;
        }
        let desc: Descriptor;
        if (item.kind === "blob") {
          const added = await store.addBlob(item.file, { digest: item.desc.digest, size: item.desc.size });
          desc = { ...added, mediaType: item.desc.mediaType };
        } else {
          const created = await store.createLayer(item.dir, {
            ...(options.layerFormat ? { format: options.layerFormat } : {}),
            ...(options.layerCompression ? { compression: options.layerCompression } : {}),
            ...(options.layerLevel !== undefined ? { level: options.layerLevel } : {}),
          });
          desc = { ...created, annotations: { ...created.annotations, [DIFF_ID_ANNOTATION]: item.diffId } };
          await fs.rm(item.dir, { recursive: true, force: true });
        }
        layers.push(desc);
        report.push({ source: sourceDigest, digest: desc.digest, status: "imported" });
      }
      // Layers are in the store but no image names them: gc removes them after a crash here.
      failpoint("oci.import/layers-stored");
      const target = splitName(name);
      const labels = config.config?.Labels ?? undefined;
      const info = await store.commitImage({
        name: target.name,
        ...(target.tag ? { tag: target.tag } : {}),
        layers,
        ...(labels ? { labels } : {}),
        annotations: {
          "dev.particle.imported-from": image.name,
          [Annotation.created]: config.created ?? new Date(0).toISOString(),
        },
        ...(config.created ? { created: config.created } : {}),
        config: runtimeConfig(config.config),
        architecture: config.architecture,
      });
      return {
        source: image.name,
        image: `${info.name}:${info.tag}`,
        manifestDigest: info.manifestDigest,
        layers: report,
      };
    },
    async () => {
      await image.close();
      await fs.rm(work, { recursive: true, force: true });
    },
  );
}
