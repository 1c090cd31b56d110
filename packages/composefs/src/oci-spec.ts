import { z } from "zod";

/**
 * The OCI image-spec documents (descriptor, manifest, index, image config, oci-layout), defined once
 * for the toolkit. The store is an OCI image layout, so it is the lowest package that needs them;
 * @particle/oci builds on these (Docker's formats, the registry's bodies) and re-exports them.
 * Objects keep unknown fields (loose) so that documents of newer producers round-trip; the store
 * checks what it needs beyond the spec itself (sha256 digests, see `Sha256Digest`).
 */

/**
 * The bytes the toolkit writes for a JSON document: compact, fields in the order built, so that the
 * same document always has the same digest.
 */
export function documentBytes(doc: unknown): Buffer {
  return Buffer.from(JSON.stringify(doc), "utf8");
}

/** Media types of the OCI image spec and Particle's native layers. */
export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTar: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  /** A native layer: a squashfs image of the layer's tree, mounted as is. */
  particleSquashfs: "application/vnd.particle.image.layer.v1.squashfs",
  /** A native layer: an erofs image of the layer's tree, mounted as is. */
  particleErofs: "application/vnd.particle.image.layer.v1.erofs",
  octetStream: "application/octet-stream",
} as const;

/** Annotation keys: the OCI pre-defined ones the toolkit reads or writes, and the store's own. */
export const Annotation = {
  /** On a current tag entry in index.json: "name:tag". */
  refName: "org.opencontainers.image.ref.name",
  /** On a manifest: when the image was made. */
  created: "org.opencontainers.image.created",
  /** The version of the packaged software (a config label or a manifest annotation). */
  version: "org.opencontainers.image.version",
  /** On a current tag entry: when the tag was moved to this manifest. */
  tagged: "dev.particle.tag.updated",
  /** On a history entry in index.json: the "name:tag" it used to be. */
  historyRef: "dev.particle.history.ref",
  /** On a history entry: when the tag moved away from it. */
  historyReplaced: "dev.particle.history.replaced",
  /** On a manifest: the image this one was built on ("name:tag@sha256:…" or a digest). */
  parent: "dev.particle.image.parent",
  /** On a manifest: the program or recipe that built it. */
  builtBy: "dev.particle.image.built-by",
} as const;

/** The layer media types the store makes and mounts. */
export const LAYER_MEDIA_TYPES = [MediaType.particleSquashfs, MediaType.particleErofs] as const;

/** A digest in the OCI grammar (`algorithm:encoded`), whatever the algorithm. */
export const Digest = z
  .string()
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, "not a digest (algorithm:encoded)");

/** A sha256 digest, the only kind the store (blobs/sha256/) and the toolkit write. */
export const Sha256Digest = z
  .string()
  .regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 lowercase hex digits>");

const mediaTypeString = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/,
    "must be a media type",
  );

const Annotations = z.record(z.string(), z.string());

export const Platform = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.looseObject({
  mediaType: mediaTypeString,
  digest: Digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: Annotations.optional(),
  data: z.string().optional(),
  artifactType: mediaTypeString.optional(),
  platform: Platform.optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const OciLayout = z.looseObject({ imageLayoutVersion: z.literal("1.0.0") });
export type OciLayout = z.infer<typeof OciLayout>;

export const OciIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.ociIndex).optional(),
  artifactType: mediaTypeString.optional(),
  manifests: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: Annotations.optional(),
});
export type OciIndex = z.infer<typeof OciIndex>;

export const OciManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.ociManifest).optional(),
  artifactType: mediaTypeString.optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: Annotations.optional(),
});
export type OciManifest = z.infer<typeof OciManifest>;

const stringList = z.array(z.string());

/** The runtime part of an OCI image config (what a container or a boot would run with). */
export const OciRuntimeConfig = z.looseObject({
  User: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.object({})).optional(),
  Env: stringList.optional(),
  // Docker writes null for an unset Entrypoint, Cmd or Labels.
  Entrypoint: stringList.nullable().optional(),
  Cmd: stringList.nullable().optional(),
  Volumes: z.record(z.string(), z.object({})).optional(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).nullable().optional(),
  StopSignal: z.string().optional(),
});

export const OciHistory = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  created_by: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

export const OciImageConfig = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  config: OciRuntimeConfig.optional(),
  rootfs: z.looseObject({ type: z.literal("layers"), diff_ids: z.array(Digest) }),
  history: z.array(OciHistory).optional(),
});
export type OciImageConfig = z.infer<typeof OciImageConfig>;
