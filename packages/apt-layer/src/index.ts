export {
  type AuditRecord,
  appendAudit,
  canonicalJson,
  chainEntry,
  readAuditLog,
  type VerifyReport,
  verifyAuditLog,
  verifyAuditText,
} from "./audit.js";
export {
  type BootstrapDefaults,
  type BootstrapPlan,
  bootstrapImage,
  bootstrapPlan,
  importTree,
  mmdebstrapArgs,
} from "./build/bootstrap.js";
export { type InstallRequest, layerPackages, splitInstallArgs, storeRef } from "./build/install.js";
export { type LayerRequest, type LayerResult, mergeRequests } from "./build/layer.js";
export { type LocalDebInput, MAX_LOCAL_DEB_BYTES } from "./build/local-deb.js";
export { type RebaseRequest, rebaseImage } from "./build/rebase.js";
export { BuildEnvironment, type BuildEnvironmentOptions } from "./build-env/environment.js";
export {
  type AptLayerContext,
  DEFAULT_SOURCE_DATE_EPOCH,
  statePaths,
  withRecoveredState,
} from "./context.js";
export { missingPackages, type PlanAction, parseAptSimulation } from "./debian/apt-plan.js";
export {
  formatImageRef,
  type ImageRef,
  packageNameOf,
  parseImageRef,
  validatePackageSpecs,
} from "./debian/names.js";
export {
  decodePackageList,
  diffPackageLists,
  encodePackageList,
  localPackageRecords,
  type PackageDiff,
  type PackageEntry,
} from "./debian/package-list.js";
export { buildSbom, type SpdxDocument } from "./debian/sbom.js";
export { bootablePackages, suiteProfile, suiteProfileOfImage, suiteProfiles } from "./debian/suites.js";
export { compareDebianVersions, parseDebianVersion } from "./debian/version.js";
export { liveRootUnsupported } from "./errors.js";
export {
  diffImages,
  type ImageDiff,
  type ImagePackages,
  imagePackages,
  imageSbom,
  listImagePackages,
} from "./image/inspect.js";
export { ociExport, ociImport } from "./image/oci-bridge.js";
export { type ImageInfo, type ImageStore, type OpenStoreOptions, openStore } from "./image/store.js";
export {
  type DeployImage,
  type LiveCommitRequest,
  type LiveCommitResult,
  type LiveInstallRequest,
  type LiveRequest,
  type LiveStatus,
  liveCommit,
  liveInstall,
  liveRollback,
  liveStatus,
} from "./live/overlay.js";
export { type LiveTree, type RunningSystem, runningSystemTrees } from "./live/target.js";
export { aptLayerDirs, bootstrapDefaults, ociTransportOptions, openAptLayer } from "./open.js";
export {
  CACHE_IMAGE,
  type ComposeOptions,
  type ComposeResult,
  composeRecipe,
  type RecipeResolution,
  resolveRecipe,
  stepKey,
} from "./recipe/compose.js";
export { loadRecipe, parseRecipe, parseRecipeYaml } from "./recipe/load.js";
export { type RecipeStep, recipeSteps, sourcesFile } from "./recipe/steps.js";
export {
  AuditEntry,
  BootstrapSpec,
  LABELS,
  LiveState,
  LocalPackageRecord,
  Recipe,
  SuiteProfile,
  TenantsFile,
} from "./spec.js";
export {
  type Caller,
  currentCaller,
  listTenants,
  loadTenants,
  saveTenant,
  type TenantUsage,
  tenantUsage,
} from "./tenants.js";
