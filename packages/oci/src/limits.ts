/**
 * Every limit on untrusted input (images, archives, registries), in one place; SECURITY.md and the
 * README list them with their reasons. Documents are read whole into memory, so each has a cap;
 * blobs stream and are bounded by their descriptor's size instead.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMITS = {
  /** A manifest or index (containers/image allows 4 MiB, iolimits.MaxManifestBodySize). */
  manifestBytes: 4 * MiB,
  /** An image config (containers/image: 4 MiB, MaxConfigBodySize). */
  configBytes: 4 * MiB,
  /** A layout's index.json (it lists every tag: as large as a manifest may be). */
  layoutIndexBytes: 4 * MiB,
  /** A layout's oci-layout marker (`{"imageLayoutVersion":"1.0.0"}`). */
  layoutMarkerBytes: 4 * KiB,
  /** A docker-archive's manifest.json (containers/image: 1 MiB, MaxTarFileManifestSize). */
  dockerArchiveManifestBytes: 1 * MiB,
  /** A registry's error body; only its codes are shown (containers/image: 1 MiB). */
  errorBodyBytes: 1 * MiB,
  /** A token service's answer (containers/image: 1 MiB, MaxAuthTokenBodySize). */
  tokenBodyBytes: 1 * MiB,
  /** A tag list page. */
  tagListBytes: 4 * MiB,
  /**
   * Layers in one image. Each layer is a loop device and an overlayfs lower directory: the kernel
   * stacks at most 500 (OVL_MAX_STACK) and the mount data is one page, so 128 (Docker's overlay2
   * limit) leaves room for a layer's own upper and a writable layer on top.
   */
  layersPerImage: 128,
  /** Indexes nested inside indexes before an image manifest must come. */
  indexDepth: 3,
  /** Symlinks followed (inside the input) to reach one file of a layout or archive (Linux: 40). */
  symlinkHops: 40,
} as const;

/** Waits on a registry (`RegistryClientOptions.timeouts` overrides each, tests use short ones). */
export interface RegistryTimeouts {
  /** TCP and TLS connect. */
  readonly connectMs: number;
  /** No byte at all (response headers, or body) for this long fails the request. */
  readonly idleMs: number;
  /** A body slower than `lowSpeedBytes` per `lowSpeedWindowMs` fails (curl's --speed-limit/--speed-time). */
  readonly lowSpeedBytes: number;
  readonly lowSpeedWindowMs: number;
  /** A whole document (manifest, token, error body, tag list) must arrive within this. */
  readonly documentMs: number;
  /** Tries of a GET or HEAD (and of a blob download, resumed with Range) on 5xx, reset or timeout. */
  readonly attempts: number;
  /** Wait before the first retry; doubled for each next one. */
  readonly backoffMs: number;
  /** After this long without progress, say what is awaited (a warning on stderr). */
  readonly noticeMs: number;
}

export const REGISTRY_TIMEOUTS: RegistryTimeouts = {
  connectMs: 30_000,
  idleMs: 60_000,
  lowSpeedBytes: 1024,
  lowSpeedWindowMs: 60_000,
  documentMs: 300_000,
  attempts: 4,
  backoffMs: 1_000,
  noticeMs: 10_000,
};

/** Redirects followed by one GET or HEAD. */
export const MAX_REDIRECTS = 5;
