export {
  ExitCode,
  type ExitCodeName,
  type ErrorContext,
  ParticleError,
  type ParticleErrorOptions,
  causeChain,
  fromSystemError,
  isParticleError,
  withContext,
} from "./errors.js";
export { run, runBinary, succeeds, spawnTool, checkResult, displayCommand, type RunOptions, type RunResult } from "./exec.js";
export {
  fsyncDir,
  fsyncFile,
  mkdirDurable,
  pathExists,
  readFileIfExists,
  renameDurable,
  tempSibling,
  writeFileAtomic,
  writeJsonAtomic,
  type WriteAtomicOptions,
} from "./atomic.js";
export { acquireLock, withLock, type Lock, type LockOptions } from "./lock.js";
export { failpoint, parseFailpoints, type FailpointAction } from "./failpoint.js";
export { Transaction, pendingTransactions, recoverPending, type Recoverer } from "./journal.js";
export { TransactionRecord } from "./spec.js";
export { sha256File, sha256Hex } from "./hash.js";
export {
  bindMount,
  isMountPoint,
  listMounts,
  mount,
  mountImageFile,
  mountOverlay,
  mountsBelow,
  parseMountInfo,
  unmount,
  unmountAll,
  type MountEntry,
  type MountOptions,
  type OverlaySpec,
} from "./mount.js";
