import { type ErrorContext, type ExitCodeName, ParticleError } from "@particle/runtime";

/**
 * The catalogue of user-facing errors of @particle/oci: one stable code per failure a person or a
 * script can act on. Messages never carry credentials (see registry/auth.ts).
 */
const catalogue = {
  // Hostile or broken tar archives: nothing is written outside the extraction target.
  TAR_PATH_ABSOLUTE: {
    exit: "invalidInput",
    hint: "The archive is malformed or hostile; layers hold paths relative to the root.",
  },
  TAR_PATH_TRAVERSAL: {
    exit: "invalidInput",
    hint: "The archive is malformed or hostile: an entry climbs out of the root with '..'.",
  },
  TAR_PATH_INVALID: {
    exit: "invalidInput",
    hint: "The archive holds an empty name, a NUL byte or '.' / '..' as a name.",
  },
  TAR_SYMLINK_ESCAPE: {
    exit: "invalidInput",
    hint: "A relative symlink points above the image root; the archive is hostile or broken.",
  },
  TAR_WRITE_THROUGH_SYMLINK: {
    exit: "invalidInput",
    hint: "An entry is placed below a symlink of the same archive; the archive is hostile.",
  },
  TAR_PARENT_NOT_DIRECTORY: {
    exit: "invalidInput",
    hint: "An entry is placed below a file of the same archive.",
  },
  TAR_HARDLINK_ESCAPE: {
    exit: "invalidInput",
    hint: "A hardlink names a target outside the archive root; the archive is hostile.",
  },
  TAR_HARDLINK_TARGET_INVALID: {
    exit: "invalidInput",
    hint: "A hardlink must name a regular file that appears earlier in the same archive.",
  },
  TAR_DUPLICATE_ENTRY: {
    exit: "invalidInput",
    hint: "The archive names the same path twice; rebuild it without duplicates.",
  },
  TAR_DEVICE_NOT_ALLOWED: {
    exit: "invalidInput",
    hint: 'Device nodes are not allowed here; pass devices: "allow" only for trusted OS images.',
  },
  TAR_XATTR_INVALID: {
    exit: "invalidInput",
    hint: "Extended attribute names must be user.*, trusted.*, security.* or system.posix_acl_access/default followed by printable ASCII; the archive is malformed or hostile.",
  },
  TAR_UNSUPPORTED_TYPE: {
    exit: "invalidInput",
    hint: "Only files, directories, symlinks, hardlinks, devices and fifos can be stored in a layer.",
  },
  TAR_TRUNCATED: {
    exit: "invalidInput",
    hint: "The archive ends in the middle of an entry: download or copy it again.",
  },
  TAR_CORRUPT: {
    exit: "invalidInput",
    hint: "The data is not a valid tar stream (or not the compression its media type says).",
  },
  DECOMPRESSION_LIMIT: {
    exit: "invalidInput",
    hint: "The layer expands far beyond its compressed size (a decompression bomb?); raise the limit only for trusted input.",
  },
  EXTRACT_TARGET_NOT_EMPTY: { exit: "conflict", hint: "Extract into a new, empty directory." },
  XATTR_FAILED: {
    exit: "failure",
    hint: "Extended attributes could not be set: the filesystem must support user, trusted and security xattrs (run as root).",
  },
  // Content and documents.
  BLOB_DIGEST_MISMATCH: {
    exit: "integrity",
    hint: "The blob is corrupt or was tampered with; fetch it again from a trusted source.",
  },
  BLOB_SIZE_MISMATCH: {
    exit: "integrity",
    hint: "The blob does not have the size its descriptor declares; fetch it again.",
  },
  BLOB_NOT_FOUND: {
    exit: "notFound",
    hint: "The image is incomplete: a blob its manifest names is missing.",
  },
  MEDIA_TYPE_UNSUPPORTED: {
    exit: "invalidInput",
    hint: "Only OCI and Docker v2 images (tar, tar+gzip, tar+zstd layers) and Particle native layers are supported.",
  },
  DOCUMENT_INVALID: {
    exit: "invalidInput",
    hint: "The JSON document is malformed or not of the expected kind.",
  },
  DOCUMENT_TOO_LARGE: {
    exit: "invalidInput",
    hint: "JSON documents of an image are small; a larger one is malformed or hostile (the limits are listed in SECURITY.md).",
  },
  INPUT_NOT_REGULAR: {
    exit: "invalidInput",
    hint: "Image layouts and archives hold regular files; a device, FIFO or directory in their place is malformed or hostile input.",
  },
  INPUT_SYMLINK_ESCAPE: {
    exit: "invalidInput",
    hint: "A symlink inside the layout or archive points outside it (or is absolute); the input is hostile, or was copied with its links kept: copy it with links resolved.",
  },
  DIGEST_INVALID: { exit: "invalidInput", hint: "Digests look like sha256:<64 hex digits>." },
  LAYOUT_INVALID: {
    exit: "invalidInput",
    hint: "An OCI image layout holds oci-layout, index.json and blobs/sha256/.",
  },
  IMAGE_NOT_FOUND: {
    exit: "notFound",
    hint: "List what the source holds (`particle inspect SOURCE`) and name one of its tags.",
  },
  PLATFORM_NOT_FOUND: {
    exit: "notFound",
    hint: "The image index has no manifest for this platform; pass --platform os/arch of one it has.",
  },
  AMBIGUOUS_IMAGE: { exit: "invalidInput", hint: "The source holds several images; name one with :TAG." },
  REF_INVALID: {
    exit: "usage",
    hint: "Use oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:TAG] or docker://HOST/REPO[:TAG|@DIGEST].",
  },
  TOO_MANY_LAYERS: {
    exit: "usage",
    hint: "--max-layers must be at least 2 (one package layer and the final layer).",
  },
  IMAGE_TOO_MANY_LAYERS: {
    exit: "invalidInput",
    hint: "An image may have at most 128 layers (overlayfs stacks each as a loop-mounted lower layer); rebuild it with fewer (e.g. a chunked export with --max-layers).",
  },
  DESTINATION_INVALID: {
    exit: "usage",
    hint: "Export to a new or regular file (oci-archive:FILE) or a directory (oci:DIR); device nodes, FIFOs and the like are refused.",
  },
  // Registries.
  REGISTRY_UNAUTHORIZED: { exit: "permission", hint: "Log in first: particle login HOST" },
  REGISTRY_DENIED: {
    exit: "permission",
    hint: "The credentials are valid but lack access to this repository.",
  },
  REGISTRY_NOT_FOUND: {
    exit: "notFound",
    hint: "Check the repository name and tag (tags: particle inspect docker://HOST/REPO).",
  },
  REGISTRY_ERROR: {
    exit: "failure",
    hint: "The registry refused the request; see the message, and retry later if it is temporary.",
  },
  REGISTRY_UNREACHABLE: {
    exit: "unavailable",
    hint: "Check the host name, port and network; for a plain-HTTP registry add it to registry.insecure.",
  },
  REGISTRY_TIMEOUT: {
    exit: "unavailable",
    hint: "The registry stopped answering (or answers too slowly); check the network and retry later.",
  },
  REGISTRY_RESPONSE_INVALID: {
    exit: "failure",
    hint: "The registry's answer is malformed, compressed where it must not be, or larger than allowed; the registry is broken or hostile.",
  },
  REGISTRY_CREDENTIALS_REFUSED: {
    exit: "permission",
    hint: "Credentials are only sent to the registry's own host and to its token service over HTTPS (or to loopback and registry.insecure hosts); ask the registry's operator to fix its token realm.",
  },
  REGISTRY_INSECURE_REFUSED: {
    exit: "usage",
    hint: "Plain HTTP is only used for loopback or hosts listed in registry.insecure (particle config set registry.insecure HOST:PORT).",
  },
  AUTH_FILE_MODE: { exit: "permission", hint: "Restrict the credentials file: chmod 600 FILE." },
  AUTH_FILE_INVALID: {
    exit: "invalidInput",
    hint: "Fix or remove the credentials file; it is JSON with an `auths` object.",
  },
  CREDENTIALS_NOT_FOUND: {
    exit: "notFound",
    hint: "Nothing to log out from: no credentials are stored for this registry.",
  },
} as const satisfies Record<string, { exit: ExitCodeName; hint: string }>;

export type OciErrorCode = keyof typeof catalogue;

/** A ParticleError from this package's catalogue. */
export function ociError(
  code: OciErrorCode,
  message: string,
  options: { context?: ErrorContext; cause?: unknown; hint?: string } = {},
): ParticleError {
  const entry = catalogue[code];
  return new ParticleError({
    code,
    message,
    hint: options.hint ?? entry.hint,
    context: options.context,
    cause: options.cause,
    exit: entry.exit,
  });
}
