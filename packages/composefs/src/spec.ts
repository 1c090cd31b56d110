import { z } from "zod";

/**
 * The store's serialized formats. The store is an OCI image layout, so most of these are the minimal
 * subset of the OCI image spec that the store writes and reads (validated in tests against the
 * upstream JSON Schemas); @particle/oci owns the richer OCI types. The rest are the store's own
 * records (mount records), versioned with apiVersion/kind.
 */

export const MediaType = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  squashfsLayer: "application/vnd.particle.image.layer.v1.squashfs",
  erofsLayer: "application/vnd.particle.image.layer.v1.erofs",
  octetStream: "application/octet-stream",
} as const;

/** Annotation keys the store writes. `ref.name` is the OCI one; the rest are the store's own. */
export const Annotation = {
  /** On a current tag entry in index.json: "name:tag". */
  refName: "org.opencontainers.image.ref.name",
  /** On a manifest: when the image was made. */
  created: "org.opencontainers.image.created",
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

export const LAYER_MEDIA_TYPES = [MediaType.squashfsLayer, MediaType.erofsLayer] as const;

export const Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 lowercase hex digits>");

const mediaTypeString = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/,
    "must be a media type",
  );

const Annotations = z.record(z.string(), z.string());

export const Descriptor = z.object({
  mediaType: mediaTypeString,
  digest: Digest,
  size: z.number().int().nonnegative(),
  annotations: Annotations.optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const OciLayout = z.object({ imageLayoutVersion: z.literal("1.0.0") });
export type OciLayout = z.infer<typeof OciLayout>;

export const OciIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.index).optional(),
  manifests: z.array(Descriptor),
  annotations: Annotations.optional(),
});
export type OciIndex = z.infer<typeof OciIndex>;

export const OciManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.manifest),
  config: Descriptor,
  layers: z.array(Descriptor),
  annotations: Annotations.optional(),
});
export type OciManifest = z.infer<typeof OciManifest>;

const stringList = z.array(z.string());

/** The runtime part of an OCI image config (what a container or a boot would run with). */
export const OciRuntimeConfig = z.object({
  User: z.string().optional(),
  ExposedPorts: z.record(z.string(), z.object({})).optional(),
  Env: stringList.optional(),
  Entrypoint: stringList.optional(),
  Cmd: stringList.optional(),
  Volumes: z.record(z.string(), z.object({})).optional(),
  WorkingDir: z.string().optional(),
  Labels: z.record(z.string(), z.string()).optional(),
  StopSignal: z.string().optional(),
});

export const OciHistory = z.object({
  created: z.string().optional(),
  author: z.string().optional(),
  created_by: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

export const OciImageConfig = z.object({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string().min(1),
  os: z.string().min(1),
  variant: z.string().optional(),
  config: OciRuntimeConfig.optional(),
  rootfs: z.object({ type: z.literal("layers"), diff_ids: z.array(Digest) }),
  history: z.array(OciHistory).optional(),
});
export type OciImageConfig = z.infer<typeof OciImageConfig>;

/**
 * What the store mounted for one target, written before the first mount and kept until the last
 * unmount, so that `unmount` and `cleanup` undo exactly this (also after a crash mid-mount).
 */
export const MountRecord = z.object({
  apiVersion: z.literal("particle.dev/v1"),
  kind: z.literal("StoreMount"),
  id: z.string().regex(/^[a-f0-9]{16}$/),
  /** The overlay mount point. */
  target: z.string().startsWith("/"),
  store: z.string().startsWith("/"),
  ref: z.string(),
  manifestDigest: Digest,
  /** Read-only layer mount points, bottom layer first, each a loop mount of one blob. */
  layers: z.array(z.object({ digest: Digest, mountPoint: z.string().startsWith("/") })),
  /** "ro", a tmpfs made for this mount (mounted at `tmpfs`), or a caller's upper/work directories. */
  writable: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("ro") }),
    z.object({ kind: z.literal("tmpfs"), tmpfs: z.string().startsWith("/") }),
    z.object({ kind: z.literal("dir"), upper: z.string().startsWith("/"), work: z.string().startsWith("/") }),
  ]),
  /** "mounting" until the overlay is up; a record left in that state is a crash to clean up. */
  state: z.enum(["mounting", "mounted"]),
  pid: z.number().int(),
  createdAt: z.string(),
});
export type MountRecord = z.infer<typeof MountRecord>;

/** A `backup` archive's own description, stored beside the OCI layout inside it. */
export const BackupManifest = z.object({
  apiVersion: z.literal("particle.dev/v1"),
  kind: z.literal("StoreBackup"),
  createdAt: z.string(),
  /** "name:tag" refs whose current entry and history the archive holds. */
  refs: z.array(z.string()),
  /** Every blob in the archive, with its size, so restore can check it got all of them. */
  blobs: z.array(z.object({ digest: Digest, size: z.number().int().nonnegative() })),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** JSON Schemas generated from the records a person or program reads. */
export const jsonSchemas = {
  "mount-record": MountRecord,
  "backup-manifest": BackupManifest,
} as const;
