import { ociArchitecture, Transaction } from "@particle/runtime";
import { addBlobBytes, blobSize, hasBlob } from "./blobs.js";
import { StoreErrors } from "./errors.js";
import type { CreateLayerOptions } from "./layer.js";
import { readIndex, readJsonBlob, type StorePaths, writeIndex } from "./layout.js";
import {
  Annotation,
  type Descriptor,
  documentBytes,
  MediaType,
  OciImageConfig,
  OciManifest,
} from "./oci-spec.js";
import { parseRef, parseTagRef } from "./refs.js";
import { currentTags, findTag, moveTag } from "./tags.js";

/** An image as the store's users see it: a tag, its manifest and config, and its layers bottom first. */
export interface ImageInfo {
  readonly name: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly manifestSize: number;
  readonly manifest: OciManifest;
  readonly config: OciImageConfig;
  /** Bottom layer first (OCI order). */
  readonly layers: Descriptor[];
  readonly created: string;
  readonly labels: Record<string, string>;
  readonly parent: string | undefined;
  readonly builtBy: string | undefined;
}

export interface CommitImageInput {
  readonly name: string;
  /** @default "latest" */
  readonly tag?: string;
  /** Bottom layer first. */
  readonly layers: readonly Descriptor[];
  /** Stored as the config's Labels. */
  readonly labels?: Record<string, string>;
  /** Stored on the manifest. */
  readonly annotations?: Record<string, string>;
  /** The image this one was built from (a reference or manifest digest). */
  readonly parent?: string;
  readonly builtBy?: string;
  /** ISO 8601; pass a fixed value for a reproducible manifest. @default now */
  readonly created?: string;
  readonly config?: Partial<NonNullable<OciImageConfig["config"]>>;
  /** @default the host's architecture */
  readonly architecture?: string;
}

/** An image made from directory trees by `Store.createImage`. */
export interface CreateImageInput extends Omit<CommitImageInput, "layers" | "parent"> {
  /** Directory trees (root filesystems or overlay uppers), one layer each, bottom first. */
  readonly dirs: readonly string[];
  /** An image whose layers go below the new ones; recorded as the parent ("base@sha256:…"). */
  readonly base?: string;
  /** How each new layer is built. */
  readonly layer?: CreateLayerOptions;
}

/** The OCI config and manifest documents of an image (pure). */
export function buildImageDocuments(input: CommitImageInput): {
  config: OciImageConfig;
  manifest: (config: Descriptor) => OciManifest;
} {
  const created = input.created ?? new Date().toISOString();
  const labels = { ...input.config?.Labels, ...input.labels };
  const config: OciImageConfig = {
    created,
    architecture: input.architecture ?? ociArchitecture(),
    os: "linux",
    config: { ...input.config, ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}) },
    rootfs: { type: "layers", diff_ids: input.layers.map((l) => l.digest) },
  };
  const manifest = (configDesc: Descriptor): OciManifest => ({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: configDesc,
    layers: input.layers.map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
    annotations: {
      ...input.annotations,
      [Annotation.created]: created,
      ...(input.parent ? { [Annotation.parent]: input.parent } : {}),
      ...(input.builtBy ? { [Annotation.builtBy]: input.builtBy } : {}),
    },
  });
  return { config, manifest };
}

/**
 * Writes an image's config and manifest blobs and moves its tag to it in one index.json replace (the
 * tag's previous image goes to its history). Journaled as `store.commit`; blobs written before a
 * kill are unreferenced and left for gc. Hold the store's writer lock.
 */
export async function commitImageWrite(paths: StorePaths, input: CommitImageInput): Promise<ImageInfo> {
  const { name, tag } = parseTagRef(input.tag === undefined ? input.name : `${input.name}:${input.tag}`);
  for (const layer of input.layers) {
    if (!(await hasBlob(paths, layer.digest, layer.size)))
      throw StoreErrors.blobMissing(layer.digest, { image: `${name}:${tag}` });
  }
  const documents = buildImageDocuments(input);
  const tx = await Transaction.begin(paths.journalDir, "store.commit", { ref: `${name}:${tag}` });
  const configDescriptor = await addBlobBytes(paths, documentBytes(documents.config), MediaType.ociConfig);
  await tx.step("config-written");
  const manifest = documents.manifest(configDescriptor);
  const manifestDescriptor = await addBlobBytes(paths, documentBytes(manifest), MediaType.ociManifest);
  await tx.step("manifest-written");
  const index = await readIndex(paths);
  await writeIndex(paths, moveTag(index, name, tag, manifestDescriptor, new Date().toISOString()));
  await tx.step("index-updated");
  await tx.commit();
  return toInfo(name, tag, manifestDescriptor, manifest, documents.config);
}

function toInfo(
  name: string,
  tag: string,
  descriptor: Descriptor,
  manifest: OciManifest,
  config: OciImageConfig,
): ImageInfo {
  return {
    name,
    tag,
    manifestDigest: descriptor.digest,
    manifestSize: descriptor.size,
    manifest,
    config,
    layers: manifest.layers,
    created: manifest.annotations?.[Annotation.created] ?? config.created ?? "",
    labels: config.config?.Labels ?? {},
    parent: manifest.annotations?.[Annotation.parent],
    builtBy: manifest.annotations?.[Annotation.builtBy],
  };
}

/** Loads the manifest and config of a manifest descriptor. */
export async function loadImage(
  paths: StorePaths,
  name: string,
  tag: string,
  descriptor: Descriptor,
): Promise<ImageInfo> {
  const manifest = await readJsonBlob(paths, descriptor.digest, OciManifest);
  const config = await readJsonBlob(paths, manifest.config.digest, OciImageConfig);
  return toInfo(name, tag, descriptor, manifest, config);
}

/** Finds an image by "name", "name:tag" or manifest digest. A digest also finds an untagged or history image. */
export async function resolveImage(paths: StorePaths, ref: string): Promise<ImageInfo> {
  const parsed = parseRef(ref);
  const index = await readIndex(paths);
  if (parsed.kind === "tag") {
    const entry = findTag(index, parsed.name, parsed.tag);
    if (entry === undefined) throw StoreErrors.imageNotFound(`${parsed.name}:${parsed.tag}`);
    return loadImage(paths, entry.name, entry.tag, entry.descriptor);
  }
  const tagged = currentTags(index).find((t) => t.descriptor.digest === parsed.digest);
  if (tagged) return loadImage(paths, tagged.name, tagged.tag, tagged.descriptor);
  const entry = index.manifests.find((d) => d.digest === parsed.digest);
  const past = entry?.annotations?.[Annotation.historyRef];
  if (entry && past !== undefined) {
    const { name, tag } = parseTagRef(past);
    return loadImage(paths, name, tag, entry);
  }
  const size = await blobSize(paths, parsed.digest);
  if (size === undefined) throw StoreErrors.imageNotFound(ref);
  return loadImage(paths, "", "", { mediaType: MediaType.ociManifest, digest: parsed.digest, size });
}

/** Every current tag, sorted by name and tag. */
export async function listImages(paths: StorePaths): Promise<ImageInfo[]> {
  const tags = currentTags(await readIndex(paths)).sort(
    (a, b) => a.name.localeCompare(b.name) || a.tag.localeCompare(b.tag),
  );
  return Promise.all(tags.map((t) => loadImage(paths, t.name, t.tag, t.descriptor)));
}
