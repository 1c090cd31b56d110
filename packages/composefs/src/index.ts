export type { BackupReport } from "./backup.js";
export type { ExpectedBlob } from "./blobs.js";
export { StoreErrors } from "./errors.js";
export type { GcOptions, GcReport } from "./gc.js";
export type { CommitImageInput, CreateImageInput, ImageInfo } from "./images.js";
export {
  type CreateLayerOptions,
  checkLayerSource,
  type LayerCompression,
  type LayerFormat,
  layerFormatOf,
  layerMediaType,
  mkfsCommand,
  squashfsCacheMiB,
} from "./layer.js";
export type { CleanupReport, MountImageOptions, Writable } from "./mount.js";
export {
  Annotation,
  Descriptor,
  Digest,
  documentBytes,
  LAYER_MEDIA_TYPES,
  MediaType,
  OciHistory,
  OciImageConfig,
  OciIndex,
  OciLayout,
  OciManifest,
  OciRuntimeConfig,
  Platform,
  Sha256Digest,
} from "./oci-spec.js";
export { DEFAULT_TAG, formatTagRef, type ImageRef, parseRef, parseTagRef } from "./refs.js";
export type { RestoreReport } from "./restore.js";
export { BackupManifest, MountRecord } from "./spec.js";
export { Store, type StoreOpenOptions } from "./store.js";
export type { TagHistory } from "./tagops.js";
export type { HistoryEntry } from "./tags.js";
export type { VerifiedImage, VerifyProblem, VerifyReport } from "./verify.js";
