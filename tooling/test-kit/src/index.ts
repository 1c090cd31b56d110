export { SCRATCH_ROOT, destroyScratch, requireRoot, scratchDir } from "./scratch.js";
export { detachLoopDevicesUnder, loopDevicesUnder } from "./loop.js";
export { CACHE_ROOT, DEBIAN_MIRROR, debianRootfs, type RootfsSpec } from "./rootfs.js";
