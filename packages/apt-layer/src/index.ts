export { missingPackages, type PlanAction, parseAptSimulation } from "./apt-plan.js";
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
} from "./bootstrap.js";
export { BuildEnvironment, type BuildEnvironmentOptions } from "./build-env/environment.js";
export {
  CACHE_IMAGE,
  type ComposeOptions,
  type ComposeResult,
  composeRecipe,
  type RecipeResolution,
  resolveRecipe,
  stepKey,
} from "./compose.js";
export {
  type AptLayerContext,
  DEFAULT_SOURCE_DATE_EPOCH,
  statePaths,
  withRecoveredState,
} from "./context.js";
export { type InstalledPackage, loadInstalledPackages, parseDeb822, parseDpkgStatus } from "./dpkg-status.js";
export { liveRootUnsupported } from "./errors.js";
export {
  diffImages,
  type ImageDiff,
  type ImagePackages,
  imagePackages,
  imageSbom,
  listImagePackages,
} from "./inspect.js";
export { type InstallRequest, layerPackages, splitInstallArgs, storeRef } from "./install.js";
export { type LayerRequest, type LayerResult, mergeRequests } from "./layer.js";
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
} from "./live.js";
export { type LiveTree, type RunningSystem, runningSystemTrees } from "./live-target.js";
export { type LocalDebInput, MAX_LOCAL_DEB_BYTES } from "./local-deb.js";
export {
  formatImageRef,
  type ImageRef,
  packageNameOf,
  parseImageRef,
  validatePackageSpecs,
} from "./names.js";
export { ociExport, ociImport } from "./oci-bridge.js";
export { aptLayerDirs, bootstrapDefaults, ociTransportOptions, openAptLayer } from "./open.js";
export {
  decodePackageList,
  diffPackageLists,
  encodePackageList,
  localPackageRecords,
  type PackageDiff,
  type PackageEntry,
} from "./package-list.js";
export { type RebaseRequest, rebaseImage } from "./rebase.js";
export { loadRecipe, parseRecipe, parseRecipeYaml } from "./recipe.js";
export { type RecipeStep, recipeSteps, sourcesFile } from "./recipe-steps.js";
export { buildSbom, type SpdxDocument } from "./sbom.js";
export {
  API_VERSION,
  AuditEntry,
  BootstrapSpec,
  jsonSchemas,
  LABELS,
  LiveState,
  LocalPackageRecord,
  Recipe,
  SuiteProfile,
  TenantsFile,
} from "./spec.js";
export { type ImageInfo, type ImageStore, type OpenStoreOptions, openStore } from "./store.js";
export { bootablePackages, suiteProfile, suiteProfileOfImage, suiteProfiles } from "./suites.js";
export {
  type Caller,
  currentCaller,
  listTenants,
  loadTenants,
  saveTenant,
  type TenantUsage,
  tenantUsage,
} from "./tenants.js";
export { compareDebianVersions, parseDebianVersion } from "./version.js";
