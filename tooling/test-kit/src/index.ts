export { detachLoopDevicesUnder, loopDevicesUnder } from "./loop.js";
export { type OciSchemaName, ociSchemaErrors } from "./oci-schema.js";
export { startRegistry, type TestRegistry } from "./registry.js";
export { CACHE_ROOT, DEBIAN_MIRROR, DEFAULT_TEST_SUITE, debianRootfs, type RootfsSpec } from "./rootfs.js";
export { destroyScratch, requireRoot, SCRATCH_ROOT, scratchDir } from "./scratch.js";
export { BOOTLOADER_IMAGE_PACKAGES, bootloaderImage } from "./vm/boot-image.js";
export { createDiskImage, makeExt4Image } from "./vm/disk.js";
export {
  buildMarkerInitramfs,
  type CpioEntry,
  encodeCpio,
  MARKER_PREFIX,
  rootfsKernel,
} from "./vm/initramfs.js";
export {
  bootVm,
  type Firmware,
  OVMF_DIR,
  qemuArgs,
  SNAKEOIL_CERT,
  SNAKEOIL_KEY,
  SNAKEOIL_PASSPHRASE,
  type VmOptions,
  type VmResult,
} from "./vm/qemu.js";
