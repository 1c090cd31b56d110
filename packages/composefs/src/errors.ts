import { type ErrorContext, ParticleError } from "@particle/runtime";

/** The store's user-facing errors: one constructor per stable code. */
export const StoreErrors = {
  notAStore: (root: string) =>
    new ParticleError({
      code: "STORE_NOT_FOUND",
      message: `${root} is not an image store (no oci-layout file)`,
      hint: "Check --store / paths.store, or create the store by running `particle-composefs create`.",
      context: { store: root },
      exit: "notFound",
    }),
  corruptMetadata: (file: string, detail: string) =>
    new ParticleError({
      code: "STORE_METADATA_INVALID",
      message: `${file} is not valid: ${detail}`,
      hint: "Run `particle-composefs verify`; restore the store from a backup if the file is damaged.",
      context: { path: file },
      exit: "integrity",
    }),
  invalidRef: (ref: string, why: string) =>
    new ParticleError({
      code: "IMAGE_REF_INVALID",
      message: `"${ref}" is not a valid image reference: ${why}`,
      hint: 'Use NAME, NAME:TAG (lowercase name, e.g. "base:2024-06") or sha256:<manifest digest>.',
      context: { ref },
      exit: "invalidInput",
    }),
  imageNotFound: (ref: string) =>
    new ParticleError({
      code: "IMAGE_NOT_FOUND",
      message: `no image ${ref} in the store`,
      hint: "Run `particle-composefs list` to see the images.",
      context: { ref },
      exit: "notFound",
    }),
  noHistory: (ref: string) =>
    new ParticleError({
      code: "NO_PREVIOUS_IMAGE",
      message: `${ref} has no previous image to roll back to`,
      hint: "Run `particle-composefs history NAME` to see what the tag pointed to before.",
      context: { ref },
      exit: "notFound",
    }),
  blobMissing: (digest: string, context: ErrorContext = {}) =>
    new ParticleError({
      code: "BLOB_MISSING",
      message: `blob ${digest} is missing from the store`,
      hint: "Run `particle-composefs verify` to see which images are affected; restore them from a backup.",
      context: { digest, ...context },
      exit: "integrity",
    }),
  digestMismatch: (expected: string, actual: string, context: ErrorContext = {}) =>
    new ParticleError({
      code: "DIGEST_MISMATCH",
      message: `content does not match its digest: expected ${expected}, got ${actual}`,
      hint: "The data is corrupt or was tampered with; fetch or restore it again.",
      context: { expected, actual, ...context },
      exit: "integrity",
    }),
  sizeMismatch: (expected: number, actual: number, context: ErrorContext = {}) =>
    new ParticleError({
      code: "SIZE_MISMATCH",
      message: `content has ${actual} bytes, expected ${expected}`,
      hint: "The data is truncated or corrupt; fetch or restore it again.",
      context: { expected, actual, ...context },
      exit: "integrity",
    }),
  notADirectory: (dir: string) =>
    new ParticleError({
      code: "SOURCE_NOT_DIRECTORY",
      message: `${dir} is not a directory`,
      hint: "Give the directory tree to turn into a layer (a root filesystem or an overlay upper).",
      context: { path: dir },
      exit: "invalidInput",
    }),
  unsupportedCompression: (format: string, compression: string, supported: readonly string[]) =>
    new ParticleError({
      code: "COMPRESSION_UNSUPPORTED",
      message: `${format} layers cannot use ${compression} compression here`,
      hint: `Use one of: ${supported.join(", ")} (set layer.compression or pass --compression).`,
      context: { format, compression },
      exit: "invalidInput",
    }),
  targetBusy: (target: string, why: string) =>
    new ParticleError({
      code: "MOUNT_TARGET_BUSY",
      message: `cannot mount on ${target}: ${why}`,
      hint: "Choose an empty directory that is not a mount point, or unmount what is there first.",
      context: { target },
      exit: "conflict",
    }),
  notMounted: (target: string) =>
    new ParticleError({
      code: "NOT_MOUNTED",
      message: `nothing mounted by the store at ${target}`,
      hint: "Run `particle-composefs list --mounts` to see the store's mounts.",
      context: { target },
      exit: "notFound",
    }),
  unmountBusy: (target: string, cause: unknown) =>
    new ParticleError({
      code: "UNMOUNT_BUSY",
      message: `${target} is in use and cannot be unmounted`,
      hint: "Stop the processes using it (see `fuser -vm TARGET`), or pass --lazy to detach it now.",
      context: { target },
      cause,
      exit: "conflict",
    }),
  corruptLayer: (ref: string, digests: readonly string[]) =>
    new ParticleError({
      code: "IMAGE_CORRUPT",
      message: `image ${ref} has ${digests.length} missing or corrupt layer(s): ${digests.join(", ")}`,
      hint: "Run `particle-composefs verify`, then restore the image from a backup or rebuild it (or pass --force to mount anyway).",
      context: { ref },
      exit: "integrity",
    }),
  gcRefused: (cause: unknown) =>
    new ParticleError({
      code: "GC_REFUSED",
      message: `gc refuses to run: an image's manifest cannot be read (${cause instanceof Error ? cause.message : String(cause)})`,
      hint: "Its layers would look unused and be deleted. Run `particle-composefs verify`, restore or remove the affected image, then retry.",
      cause,
      exit: "integrity",
    }),
  layerNotMountable: (mediaType: string) =>
    new ParticleError({
      code: "LAYER_NOT_MOUNTABLE",
      message: `layer media type ${mediaType} cannot be mounted`,
      hint: "Only squashfs and erofs layers mount directly; convert OCI tar layers when importing the image.",
      context: { mediaType },
      exit: "invalidInput",
    }),
  invalidArchive: (archive: string, why: string) =>
    new ParticleError({
      code: "BACKUP_INVALID",
      message: `${archive} is not a valid store backup: ${why}`,
      hint: "Make the archive with `particle-composefs backup`; it may be truncated or damaged.",
      context: { archive },
      exit: "invalidInput",
    }),
} as const;
