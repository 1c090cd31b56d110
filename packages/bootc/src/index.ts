export { credentialsFor, DEFAULT_AUTH_FILE, loadAuth } from "./auth.js";
export { type CleanupResult, cleanup, deploymentsToKeep } from "./cleanup.js";
export { mergeDeployment, type StageOptions, type StageResult, stageDeployment } from "./deploy.js";
export { type DiskLayout, diskScript, writeDisk } from "./disk.js";
export {
  type BootConfigRenderer,
  type BootConfigWriter,
  type BootEntryPublisher,
  commitEntrySet,
  readEntrySet,
} from "./entries.js";
export { BootcErrors } from "./errors.js";
export { applyEtcMerge, planEtcMergeOnDisk, scanUpper } from "./etc-merge.js";
export {
  type EtcAction,
  type EtcChange,
  type EtcEntry,
  type EtcMergePlan,
  type EtcMergeStep,
  planEtcMerge,
  sameEntry,
  type UpperEntry,
} from "./etc-merge-plan.js";
export { bootEntryFor, DEFAULT_TRIES, type FinalizeResult, finalizeStaged } from "./finalize.js";
export { type GrubMenuOptions, grubEntryId, grubRenderer } from "./grub.js";
export {
  bootupdInstaller,
  type HostOptions,
  type ImporterOptions,
  ociImporter,
  openSysroot,
} from "./host.js";
export {
  type BootloaderInstaller,
  DEFAULT_KARGS,
  type DiskInstallOptions,
  type InstallOptions,
  initSysroot,
  installToDisk,
  installToFilesystem,
} from "./install.js";
export { bootedDeployment, commandLine, editKargs, type KargsEdit, parseKargs } from "./kargs.js";
export { type KargsResult, listKargs, updateKargs } from "./kargs-update.js";
export { findKernels, type ImageKernel, installKernel, kernelChecksum } from "./kernel.js";
export { deploymentRef, parseDeploymentRef, SysrootLayout } from "./layout.js";
export { LINTS, type Lint, type LintReport, type LintResult, lintImage, lintStoredImage } from "./lints.js";
export { reexecWithPrivateMounts } from "./namespace.js";
export { defaultTarget, setPinned } from "./pin.js";
export {
  type BootCompleteResult,
  markBootComplete,
  planBootComplete,
  type RollbackResult,
  rollback,
} from "./rollback.js";
export {
  API_VERSION,
  AuthFile,
  BootcHost,
  BootEntry,
  BootEntrySet,
  DeploymentId,
  DeploymentLayer,
  DeploymentOrigin,
  DeploymentStatus,
  ImageStatus,
  jsonSchemas,
  StagedDeployment,
  StaterootName,
  SysrootBootloader,
} from "./spec.js";
export { linksToState, STATE_DIRS, type StateDir, seedStateDirs, stateDirKind } from "./state-dirs.js";
export { hostStatus, status } from "./status.js";
export type { DeployStore, StoreCommit, StoreDescriptor, StoreImage } from "./store.js";
export {
  DEPLOY_TAG_NAME,
  deploymentOfTag,
  deploymentTag,
  releaseImages,
  tagDeployments,
} from "./store-refs.js";
export { Sysroot, type SysrootOptions } from "./sysroot.js";
export { mountBootedEsp, readSysrootBootloader, systemdBootWriters } from "./systemd-boot-host.js";
export { type SystemdBootOptions, systemdBootPublisher } from "./systemd-boot-publisher.js";
export {
  fetchImage,
  finalizesNow,
  type ImageImporter,
  isTransportReference,
  type SwitchOptions,
  switchImage,
  trackingName,
  type UpgradeResult,
  upgrade,
} from "./upgrade.js";
export { type UsrOverlayOptions, usrOverlay } from "./usroverlay.js";
