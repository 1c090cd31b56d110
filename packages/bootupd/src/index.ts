export { bootloader, bootloaders } from "./backends/index.js";
export type {
  BootCodeRecord,
  Bootloader,
  Detection,
  DirPlan,
  InstallOptions,
  PlannedFile,
} from "./backends/types.js";
export {
  loadBootEntriesDocument,
  markBootSuccessful,
  parseBootEntriesDocument,
  type WriteEntriesOptions,
  type WriteEntriesReport,
  writeBootEntries,
} from "./boot-entries.js";
export { UPDATE_OP } from "./dir-update.js";
export { packageVersions } from "./dpkg.js";
export { fallbackFor, type Menu, normalizeMenu } from "./entries.js";
export { errors } from "./errors.js";
export {
  adoptAndUpdate,
  type InstallReport,
  type InstallRequest,
  installBootloader,
  type UpdateRequest,
  updateBootloader,
} from "./install.js";
export { blsFileName, parseBlsFileName, renderBlsEntry, renderLoaderConf } from "./menu/bls.js";
export { type ExtlinuxPlan, renderExtlinux } from "./menu/extlinux-conf.js";
export { grubTriesVar, renderGrubConfig, renderGrubStub } from "./menu/grub-cfg.js";
export { formatGrubEnv, parseGrubEnv } from "./menu/grubenv.js";
export { renderLiloConf } from "./menu/lilo-conf.js";
export { type OfflineTargetInput, withTarget } from "./offline-esp.js";
export {
  assertSignedChain,
  countSignatures,
  type SigningKey,
  signEfiBinary,
  verifyEfiBinary,
} from "./secureboot.js";
export {
  BackendName,
  BootEntriesDocument,
  BootEntry,
  type BootEntryInput,
  BootupState,
  BootupStatus,
  ComponentStatus,
  DirUpdateIntent,
  FileProblem,
  InstalledComponent,
  MenuOptions,
  type MenuOptionsInput,
  ValidationReport,
} from "./spec.js";
export { readState } from "./state.js";
export { bootloaderStatus, isUpdateAvailable } from "./status.js";
export { type BootTarget, resolveTarget, type TargetInput } from "./target.js";
export { validateBootloader } from "./validate.js";
