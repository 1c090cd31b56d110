export * from "./spec.js";
export { type OciErrorCode, ociError } from "./errors.js";
export * from "./tar/index.js";
export { type RegistryRef, type TransportRef, formatRegistryRef, formatTransportRef, parseRegistryRef, parseTransportRef } from "./reference.js";
export { Credentials, authFiles, credentialsFor, removeCredentials, storeCredentials, type AuthSources } from "./registry/auth-file.js";
export { type ManifestResponse, RegistryClient, type RegistryClientOptions, type RegistryLogger, isLoopbackHost } from "./registry/client.js";
export { parseChallenge, type Challenge } from "./registry/challenge.js";
export { OciLayoutDir } from "./image/layout.js";
export {
  canonicalJson,
  descriptorOf,
  hostPlatform,
  layerKind,
  parseConfig,
  parseDocument,
  parseImageManifest,
  parsePlatform,
  selectPlatform,
  type NormalizedManifest,
  type PlatformWanted,
} from "./image/documents.js";
