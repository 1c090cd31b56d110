import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { ImageInfo, Store } from "@particle/composefs";
import { mountImageFile, unmount } from "@particle/runtime";
import { readPackageOwners } from "./chunk/dpkg.js";
import { planChunks } from "./chunk/plan.js";
import { withCleanup } from "./cleanup.js";
import { ociError } from "./errors.js";
import { descriptorOf } from "./image/documents.js";
import { type LayerBlob, writeLayerBlob } from "./layer-blob.js";
import { parseTransportRef, type TransportRef } from "./reference.js";
import { ChunkAnnotation, type Descriptor, documentBytes, MediaType, type OciImageConfig } from "./spec.js";
import { connect } from "./stream.js";
import { byteCounter, type Compression } from "./tar/compress.js";
import type { TarEntry } from "./tar/entry.js";
import { scanTree, treeItems } from "./tar/tree.js";
import { overlayToOci } from "./tar/whiteout.js";
import type { TransportOptions } from "./transport/context.js";
import { openDestination } from "./transport/destination.js";

export interface ExportProgress {
  readonly phase: "convert" | "upload";
  /** 1-based layer number and count. */
  readonly layer: number;
  readonly layers: number;
  readonly bytes: number;
  readonly total?: number;
}

export interface ExportOptions extends TransportOptions {
  /** @default "gzip" */
  readonly compression?: Exclude<Compression, "none"> | "none";
  readonly level?: number;
  /** "native" ships the store's squashfs/erofs layers unchanged (Particle-to-Particle). @default "oci" */
  readonly format?: "oci" | "native";
  /** Regroup the image's files into layers by owning dpkg package. */
  readonly chunked?: boolean;
  /** Layer budget of a chunked export (package layers + the final layer). @default 64 */
  readonly maxLayers?: number;
  readonly onProgress?: (progress: ExportProgress) => void;
}

export interface ExportedLayer {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  readonly status: "exists" | "mounted" | "uploaded";
  readonly packages?: readonly string[];
}

export interface ExportResult {
  readonly source: string;
  readonly destination: string;
  readonly manifestDigest: string;
  readonly layers: readonly ExportedLayer[];
}

const NATIVE_FORMATS: Readonly<Record<string, "squashfs" | "erofs">> = {
  [MediaType.particleSquashfs]: "squashfs",
  [MediaType.particleErofs]: "erofs",
};

/** Converts each store layer (a loop-mounted squashfs/erofs overlay upper) into an OCI tar layer. */
async function convertLayers(
  store: Store,
  info: ImageInfo,
  work: string,
  options: ExportOptions,
): Promise<{ blob: LayerBlob; packages?: string[] }[]> {
  const out: { blob: LayerBlob }[] = [];
  for (const [i, layer] of info.layers.entries()) {
    const format = NATIVE_FORMATS[layer.mediaType];
    if (!format)
      throw ociError(
        "MEDIA_TYPE_UNSUPPORTED",
        `store layer ${layer.digest} has media type ${layer.mediaType}`,
      );
    const mnt = path.join(work, `mnt-${i}`);
    await fs.mkdir(mnt);
    await mountImageFile(store.blobPath(layer.digest), mnt, format);
    const converted = await withCleanup(
      async () => {
        const entries = await scanTree(mnt);
        const blob = await writeLayerBlob(
          overlayToOci(treeItems(mnt, entries, new Map(entries.map((e) => [e.path, e])))),
          work,
          {
            compression: options.compression ?? "gzip",
            level: options.level,
            onBytes: (bytes) =>
              options.onProgress?.({ phase: "convert", layer: i + 1, layers: info.layers.length, bytes }),
          },
        );
        return blob;
      },
      () => unmount(mnt),
    );
    out.push({ blob: converted });
  }
  return out;
}

/** Regroups the mounted image's files by owning package (see chunk/plan.ts). */
async function chunkLayers(
  store: Store,
  info: ImageInfo,
  work: string,
  options: ExportOptions,
): Promise<{ blob: LayerBlob; packages: string[] }[]> {
  const mnt = path.join(work, "merged");
  await fs.mkdir(mnt);
  await store.mount(info.manifestDigest, mnt);
  return withCleanup(
    async () => {
      const entries = await scanTree(mnt);
      const byPath = new Map(entries.map((e) => [e.path, e]));
      const owners = await readPackageOwners(mnt);
      const plan = planChunks(
        entries.map((e) => ({ path: e.path, size: e.size, directory: e.type === "directory" })),
        owners,
        options.maxLayers ?? 64,
      );
      const out: { blob: LayerBlob; packages: string[] }[] = [];
      for (const [i, layer] of plan.entries()) {
        const final = i === plan.length - 1;
        // Package layers carry directories with a fixed time: a directory's mtime changes whenever any
        // package touches it, and that must not change every layer that has files below it. The final
        // layer, applied last, carries the directories' real metadata.
        const selected = layer.paths
          .map((p) => byPath.get(p) as TarEntry)
          .map((e) => (e.type === "directory" && !final ? { ...e, mtime: 0 } : e));
        const blob = await writeLayerBlob(treeItems(mnt, selected, byPath), work, {
          compression: options.compression ?? "gzip",
          level: options.level,
          onBytes: (bytes) =>
            options.onProgress?.({ phase: "convert", layer: i + 1, layers: plan.length, bytes }),
        });
        out.push({ blob, packages: [...layer.packages] });
      }
      return out;
    },
    () => store.unmount(mnt),
  );
}

function ociConfig(info: ImageInfo, diffIds: readonly string[]): OciImageConfig {
  const created = info.config.created ?? info.created;
  return {
    ...info.config,
    rootfs: { type: "layers", diff_ids: [...diffIds] },
    history: diffIds.map(() => ({ ...(created ? { created } : {}), created_by: "particle export" })),
  };
}

/**
 * Exports a store image to an OCI layout, oci-archive or registry. Tar layers are converted from
 * the native ones (whiteouts to OCI form) and are reproducible: the same image gives the same
 * digests. With `format: "native"` the squashfs/erofs blobs travel as they are.
 */
export async function exportImage(
  store: Store,
  ref: string,
  dest: string | TransportRef,
  options: ExportOptions,
): Promise<ExportResult> {
  const target = typeof dest === "string" ? parseTransportRef(dest) : dest;
  const info = await store.resolve(ref);
  await fs.mkdir(options.workDir, { recursive: true });
  const work = await fs.mkdtemp(path.join(options.workDir, "export-"));
  const destination = await openDestination(target, options);
  const cleanup = async () => {
    await destination.close();
    await fs.rm(work, { recursive: true, force: true });
  };
  return withCleanup(async () => {
    let layers: Descriptor[];
    let configBytes: Buffer;
    const files = new Map<string, string>();
    let annotations: Record<string, string> = { ...info.manifest.annotations };
    const packages: (string[] | undefined)[] = [];
    if (options.format === "native") {
      layers = info.layers.map((l) => ({
        mediaType: l.mediaType,
        digest: l.digest,
        size: l.size,
        ...(l.annotations ? { annotations: l.annotations } : {}),
      }));
      for (const l of layers) files.set(l.digest, store.blobPath(l.digest));
      configBytes = await fs.readFile(store.blobPath(info.manifest.config.digest));
    } else {
      const converted = options.chunked
        ? await chunkLayers(store, info, work, options)
        : await convertLayers(store, info, work, options);
      layers = converted.map(({ blob, packages: pkgs }) => ({
        mediaType: blob.mediaType,
        digest: blob.digest,
        size: blob.size,
        ...(pkgs && pkgs.length > 0
          ? { annotations: { [ChunkAnnotation.layerPackages]: pkgs.join(",") } }
          : {}),
      }));
      for (const { blob, packages: pkgs } of converted) {
        files.set(blob.digest, blob.file);
        packages.push(pkgs);
      }
      configBytes = documentBytes(
        ociConfig(
          info,
          converted.map((c) => c.blob.diffId),
        ),
      );
      if (options.chunked) {
        const map: Record<string, number> = {};
        converted.forEach((c, i) => {
          for (const p of c.packages ?? []) map[p] = i;
        });
        annotations = { ...annotations, [ChunkAnnotation.chunkedPackages]: JSON.stringify(map) };
      }
    }
    const configDesc = descriptorOf(configBytes, MediaType.ociConfig);
    const manifest = documentBytes({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: configDesc,
      layers,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    });
    const exported: ExportedLayer[] = [];
    for (const [i, layer] of layers.entries()) {
      const file = files.get(layer.digest) as string;
      // Converted layers are our own scratch files: a layout takes them over without a copy.
      const adopt = options.format !== "native" && destination.adoptBlob;
      const status = adopt
        ? await adopt(layer, file)
        : await destination.putBlob(layer, () => {
            const counter = byteCounter((bytes) =>
              options.onProgress?.({
                phase: "upload",
                layer: i + 1,
                layers: layers.length,
                bytes,
                total: layer.size,
              }),
            );
            return connect(createReadStream(file), counter);
          });
      exported.push({
        digest: layer.digest,
        size: layer.size,
        mediaType: layer.mediaType,
        status,
        ...(packages[i] ? { packages: packages[i] } : {}),
      });
    }
    await destination.putBlob(configDesc, () => Readable.from([configBytes]));
    await destination.putManifest(manifest, MediaType.ociManifest);
    await destination.commit();
    return {
      source: `${info.name}:${info.tag}`,
      destination: destination.name,
      manifestDigest: descriptorOf(manifest, MediaType.ociManifest).digest,
      layers: exported,
    };
  }, cleanup);
}
