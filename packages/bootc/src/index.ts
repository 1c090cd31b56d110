export {
  type BootConfigRenderer,
  type BootConfigWriter,
  type BootEntryPublisher,
  commitEntrySet,
  readEntrySet,
} from "./boot/entries.js";
export { type GrubMenuOptions, grubEntryId, grubRenderer } from "./boot/grub.js";
export { findKernels, type ImageKernel, installKernel, kernelChecksum } from "./boot/kernel.js";
export { mountBootedEsp, readSysrootBootloader, systemdBootWriters } from "./boot/systemd-boot-host.js";
export { type SystemdBootOptions, systemdBootPublisher } from "./boot/systemd-boot-publisher.js";
export { type CleanupResult, cleanup, deploymentsToKeep } from "./deploy/cleanup.js";
export { bootEntryFor, DEFAULT_TRIES, type FinalizeResult, finalizeStaged } from "./deploy/finalize.js";
export { defaultTarget, setPinned } from "./deploy/pin.js";
export {
  type BootCompleteResult,
  markBootComplete,
  planBootComplete,
  type RollbackResult,
  rollback,
} from "./deploy/rollback.js";
export { mergeDeployment, type StageOptions, type StageResult, stageDeployment } from "./deploy/stage.js";
export { linksToState, STATE_DIRS, type StateDir, seedStateDirs, stateDirKind } from "./deploy/state-dirs.js";
export {
  DEPLOY_TAG_NAME,
  deploymentOfTag,
  deploymentTag,
  releaseImages,
  tagDeployments,
} from "./deploy/store-refs.js";
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
} from "./deploy/upgrade.js";
export { BootcErrors } from "./errors.js";
export { applyEtcMerge, planEtcMergeOnDisk, scanUpper } from "./etc/merge.js";
export {
  type EtcAction,
  type EtcChange,
  type EtcEntry,
  type EtcMergePlan,
  type EtcMergeStep,
  planEtcMerge,
  sameEntry,
  type UpperEntry,
} from "./etc/merge-plan.js";
export { type DiskLayout, diskScript, writeDisk } from "./install/disk.js";
export {
  type BootloaderInstaller,
  DEFAULT_KARGS,
  type DiskInstallOptions,
  type InstallOptions,
  initSysroot,
  installToDisk,
  installToFilesystem,
} from "./install/install.js";
export { bootedDeployment, commandLine, editKargs, type KargsEdit, parseKargs } from "./kargs/edit.js";
export { type KargsResult, listKargs, updateKargs } from "./kargs/update.js";
export { LINTS, type Lint, type LintReport, type LintResult, lintImage, lintStoredImage } from "./lints.js";
export { reexecWithPrivateMounts } from "./namespace.js";
export {
  BootcHost,
  BootEntry,
  BootEntrySet,
  DeploymentId,
  DeploymentLayer,
  DeploymentOrigin,
  DeploymentStatus,
  ImageStatus,
  StagedDeployment,
  StaterootName,
  SysrootBootloader,
} from "./spec.js";
export { hostStatus, status } from "./status.js";
export {
  bootupdInstaller,
  type HostOptions,
  type ImporterOptions,
  ociImporter,
  openSysroot,
} from "./sysroot/host.js";
export { deploymentRef, parseDeploymentRef, SysrootLayout } from "./sysroot/layout.js";
export type { DeployStore } from "./sysroot/store.js";
export { Sysroot, type SysrootOptions } from "./sysroot/sysroot.js";
export { type UsrOverlayOptions, usrOverlay } from "./usroverlay.js";
