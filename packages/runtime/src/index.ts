export {
  fsyncDir,
  fsyncFile,
  ifExists,
  mkdirDurable,
  pathExists,
  readFileIfExists,
  renameDurable,
  tempSibling,
  type WriteAtomicOptions,
  writeFileAtomic,
  writeJsonAtomic,
} from "./atomic.js";
export {
  copyIntoFat,
  type Ext4Options,
  listFat,
  makeExt4Image,
  mtoolsImage,
  type Partition,
  type PartitionContent,
  type PartitionSpec,
  type PartitionType,
  readFatFile,
  readPartitions,
  sfdiskScript,
  writeDiskImage,
} from "./disk-image.js";
export {
  type InstalledPackage,
  loadInstalledPackages,
  parseDeb822,
  parseDpkgStatus,
} from "./dpkg.js";
export {
  causeChain,
  type ErrorContext,
  ExitCode,
  type ExitCodeName,
  fromSystemError,
  isParticleError,
  ParticleError,
  type ParticleErrorOptions,
  withContext,
} from "./errors.js";
export {
  checkResult,
  displayCommand,
  type RunOptions,
  type RunResult,
  run,
  runBinary,
  spawnTool,
  succeeds,
} from "./exec.js";
export { type FailpointAction, failpoint, parseFailpoints } from "./failpoint.js";
export { sha256File, sha256Hex } from "./hash.js";
export {
  ISOLATED_ENV,
  type IsolateOptions,
  isolationArgs,
  runIsolated,
  SANDBOX_CAPABILITIES,
} from "./isolate.js";
export { pendingTransactions, type Recoverer, recoverPending, Transaction } from "./journal.js";
export { acquireLock, type Lock, type LockOptions, withLock } from "./lock.js";
export {
  bindMount,
  isMountPoint,
  listMounts,
  type MountEntry,
  type MountOptions,
  mount,
  mountImageFile,
  mountOverlay,
  mountsBelow,
  type OverlaySpec,
  parseMountInfo,
  unmount,
  unmountAll,
} from "./mount.js";
export { ociArchitecture } from "./platform.js";
export { type ProcessFiles, processFiles } from "./processes.js";
export { API_VERSION, TransactionRecord } from "./spec.js";
