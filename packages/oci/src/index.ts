export { packageOfListFile, readPackageOwners } from "./chunk/dpkg.js";
export { type ChunkLayer, type PlannedFile, planChunks } from "./chunk/plan.js";
export { type OciErrorCode, ociError } from "./errors.js";
export {
  type ExportedLayer,
  type ExportOptions,
  type ExportProgress,
  type ExportResult,
  exportImage,
} from "./export.js";
export {
  descriptorOf,
  hostPlatform,
  layerKind,
  type NormalizedManifest,
  type PlatformWanted,
  parseConfig,
  parseDocument,
  parseImageManifest,
  parsePlatform,
  selectPlatform,
} from "./image/documents.js";
export { OciLayoutDir } from "./image/layout.js";
export {
  DIFF_ID_ANNOTATION,
  type ImportedLayer,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  importImage,
} from "./import.js";
export { inspectImage } from "./inspect.js";
export {
  formatRegistryRef,
  formatTransportRef,
  parseRegistryRef,
  parseTransportRef,
  type RegistryRef,
  type TransportRef,
} from "./reference.js";
export {
  type AuthSources,
  authFiles,
  Credentials,
  credentialsFor,
  removeCredentials,
  storeCredentials,
} from "./registry/auth-file.js";
export { type Challenge, parseChallenge } from "./registry/challenge.js";
export {
  isLoopbackHost,
  type ManifestResponse,
  RegistryClient,
  type RegistryClientOptions,
  type RegistryLogger,
} from "./registry/client.js";
export { type LoginOptions, login, logout } from "./registry/login.js";
export {
  Annotation,
  AuthFile,
  ChunkAnnotation,
  Descriptor,
  Digest,
  DockerArchiveManifest,
  DockerManifest,
  DockerManifestList,
  DockerMediaType,
  documentBytes,
  ImageReport,
  LAYER_MEDIA_TYPES,
  MediaType,
  manifestKind,
  OciHistory,
  OciImageConfig,
  OciIndex,
  OciLayout,
  OciManifest,
  OciRuntimeConfig,
  Platform,
  RegistryErrorBody,
  Sha256Digest,
  TagList,
  TokenResponse,
} from "./spec.js";
export * from "./tar/index.js";
export type { TransportOptions } from "./transport/context.js";
export { type ImageDestination, openDestination } from "./transport/destination.js";
export { type ImageSource, openSource } from "./transport/source.js";
