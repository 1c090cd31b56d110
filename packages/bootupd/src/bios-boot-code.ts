import { errors } from "./errors.js";

/**
 * GRUB's BIOS boot code, placed the way grub-bios-setup places it on a GPT disk, as pure byte
 * patches: boot.img goes into the MBR's code area and points at the first sector of core.img;
 * core.img's first sector (diskboot.img) carries a block list of the rest. Offsets are GRUB's
 * (include/grub/i386/pc/boot.h).
 */
export const SECTOR = 512;
const KERNEL_SECTOR = 0x5c;
const DRIVE_CHECK = 0x66;
const BPB_START = 0x3;
const BPB_END = 0x5a;
/** Code ends where the disk signature and partition table start. */
export const MBR_CODE_SIZE = 0x1b8;
const BLOCKLIST = SECTOR - 12;

/** The LBA of core.img that an MBR written by GRUB points at (pure). */
export function mbrCoreSector(mbr: Uint8Array): bigint {
  return Buffer.from(mbr).readBigUInt64LE(KERNEL_SECTOR);
}

/**
 * The new first sector of the disk (pure): boot.img's code with the current MBR's BPB area, disk
 * signature and partition table kept, the core.img sector patched in, and the boot-drive check
 * disabled for hard disks (as grub-bios-setup does for BIOSes that pass a wrong drive number).
 */
export function patchBootImage(bootImg: Uint8Array, currentMbr: Uint8Array, coreSector: bigint): Buffer {
  if (bootImg.length !== SECTOR || currentMbr.length !== SECTOR)
    throw errors.grubImageInvalid("boot.img and the MBR must be one sector each");
  const out = Buffer.from(currentMbr);
  Buffer.from(bootImg).copy(out, 0, 0, BPB_START);
  Buffer.from(bootImg).copy(out, BPB_END, BPB_END, MBR_CODE_SIZE);
  out.writeBigUInt64LE(coreSector, KERNEL_SECTOR);
  out[DRIVE_CHECK] = 0x90;
  out[DRIVE_CHECK + 1] = 0x90;
  return out;
}

/** core.img with its block list pointing at the sectors after its first one, at `coreSector` (pure). */
export function patchCoreImage(coreImg: Uint8Array, coreSector: bigint): Buffer {
  const sectors = Math.ceil(coreImg.length / SECTOR);
  const out = Buffer.alloc(sectors * SECTOR);
  Buffer.from(coreImg).copy(out);
  if (out.readUInt16LE(BLOCKLIST + 10) !== 0x820)
    throw errors.grubImageInvalid("core.img does not start with diskboot.img");
  out.writeBigUInt64LE(coreSector + 1n, BLOCKLIST);
  out.writeUInt16LE(sectors - 1, BLOCKLIST + 8);
  return out;
}

/**
 * Which half of the BIOS boot partition receives the new core.img (pure): the one the MBR does not
 * point at, so the old core stays whole until the single-sector MBR write switches to the new one.
 */
export function nextCoreSlot(partitionStart: bigint, partitionSectors: bigint, currentCore: bigint): bigint {
  const half = partitionSectors / 2n;
  return currentCore === partitionStart ? partitionStart + half : partitionStart;
}
