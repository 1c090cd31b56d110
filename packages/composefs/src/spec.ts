import { API_VERSION } from "@particle/runtime";
import { z } from "zod";
import { Sha256Digest } from "./oci-spec.js";

/**
 * The store's own records, versioned with apiVersion/kind. The OCI documents the store is made of
 * (index, manifests, configs) are in oci-spec.ts.
 */

/**
 * What the store mounted for one target, written before the first mount and kept until the last
 * unmount, so that `unmount` and `cleanup` undo exactly this (also after a crash mid-mount).
 */
export const MountRecord = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("StoreMount"),
  id: z.string().regex(/^[a-f0-9]{16}$/),
  /** The overlay mount point. */
  target: z.string().startsWith("/"),
  store: z.string().startsWith("/"),
  ref: z.string(),
  manifestDigest: Sha256Digest,
  /** Read-only layer mount points, bottom layer first, each a loop mount of one blob. */
  layers: z.array(z.object({ digest: Sha256Digest, mountPoint: z.string().startsWith("/") })),
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
  apiVersion: z.literal(API_VERSION),
  kind: z.literal("StoreBackup"),
  createdAt: z.string(),
  /** "name:tag" refs whose current entry and history the archive holds. */
  refs: z.array(z.string()),
  /** Every blob in the archive, with its size, so restore can check it got all of them. */
  blobs: z.array(z.object({ digest: Sha256Digest, size: z.number().int().nonnegative() })),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** JSON Schemas generated from the records a person or program reads. */
export const jsonSchemas = {
  "mount-record": MountRecord,
  "backup-manifest": BackupManifest,
} as const;
