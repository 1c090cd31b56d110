export { detachLoopDevicesUnder, loopDevicesUnder } from "./loop.js";
export { CACHE_ROOT, DEBIAN_MIRROR, debianRootfs, type RootfsSpec } from "./rootfs.js";
export { destroyScratch, requireRoot, SCRATCH_ROOT, scratchDir } from "./scratch.js";
