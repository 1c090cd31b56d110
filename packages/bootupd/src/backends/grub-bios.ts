import { promises as fs } from "node:fs";
import path from "node:path";
import { type Partition, pathExists, readPartitions, run, sha256Hex } from "@particle/runtime";
import {
  MBR_CODE_SIZE,
  mbrCoreSector,
  nextCoreSlot,
  patchBootImage,
  patchCoreImage,
  SECTOR,
} from "../bios-boot-code.js";
import { BIOS_BOOT_GUID, readAt, writeAtDurable } from "../block-device.js";
import { errors } from "../errors.js";
import { GRUB_MENU_DIR } from "../menu/grub-cfg.js";
import type { BootTarget } from "../target.js";
import { writeGrubMenu } from "./grub-menu.js";
import { detectRequirements, requireAll } from "./source.js";
import type { Bootloader } from "./types.js";

/**
 * GRUB for BIOS (i386-pc) on a GPT disk: boot.img in the MBR, core.img in the BIOS boot partition,
 * modules in /grub/i386-pc on the boot filesystem. The boot partition is the first BIOS disk's
 * (`(hd0,gptN)`), as on a machine booting from the disk it was installed to.
 *
 * core.img is written into the half of the BIOS boot partition the MBR does not point at, then the
 * MBR (one sector) is switched to it: killed at any point, the MBR points at a complete core.img.
 */

const MODULES = "usr/lib/grub/i386-pc";
const REQUIREMENTS = [{ file: `${MODULES}/boot.img`, pkg: "grub-pc-bin" }];
const PACKAGES = ["grub-pc-bin"];
const CORE_MODULES = ["biosdisk", "part_gpt", "part_msdos", "ext2", "fat"];

/** The disk, the boot partition number and the BIOS boot partition, where core.img goes. */
async function biosBootPartition(
  target: BootTarget,
): Promise<{ disk: string; bootPartition: number; biosBoot: Partition }> {
  if (target.disk === undefined || target.bootPartition === undefined)
    throw errors.targetMissing("--disk and --boot-partition", "grub-bios");
  const biosBoot = (await readPartitions(target.disk)).find((p) => p.typeGuid === BIOS_BOOT_GUID);
  if (biosBoot === undefined) throw errors.biosBootPartitionMissing(target.disk, BIOS_BOOT_GUID);
  return { disk: target.disk, bootPartition: target.bootPartition, biosBoot };
}

export const grubBios: Bootloader = {
  name: "grub-bios",
  firmware: "bios",
  packages: () => PACKAGES,

  detect: (source) => detectRequirements("grub-bios", source, REQUIREMENTS, PACKAGES),

  async checkTarget(target) {
    await biosBootPartition(target);
  },

  async query(target) {
    return pathExists(path.join(target.boot, GRUB_MENU_DIR, "i386-pc/normal.mod"));
  },

  async plan(source) {
    await requireAll("grub-bios", source, REQUIREMENTS);
    const dir = path.join(source, MODULES);
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith(".mod") || n.endsWith(".lst")).sort();
    return [
      {
        root: "boot",
        path: `${GRUB_MENU_DIR.slice(1)}/i386-pc`,
        files: names.map((name) => ({ name, source: path.join(dir, name) })),
      },
    ];
  },

  async installBootCode(target: BootTarget, source: string, work: string) {
    const { disk, bootPartition, biosBoot } = await biosBootPartition(target);
    const coreFile = path.join(work, "core.img");
    const modules = path.join(source, MODULES);
    await run("grub-mkimage", [
      "-O",
      "i386-pc",
      "-d",
      modules,
      "-p",
      `(hd0,gpt${bootPartition})${GRUB_MENU_DIR}`,
      "-o",
      coreFile,
      ...CORE_MODULES,
    ]);
    const mbr = await readAt(disk, 0, SECTOR);
    const start = BigInt(biosBoot.offset / SECTOR);
    const sectors = BigInt(biosBoot.size / SECTOR);
    const slot = nextCoreSlot(start, sectors, mbrCoreSector(mbr));
    const core = patchCoreImage(await fs.readFile(coreFile), slot);
    if (BigInt(core.length / SECTOR) > sectors / 2n) throw errors.biosBootPartitionSmall(core.length);
    await writeAtDurable(disk, Number(slot) * SECTOR, core);
    const newMbr = patchBootImage(await fs.readFile(path.join(modules, "boot.img")), mbr, slot);
    await writeAtDurable(disk, 0, newMbr);
    return {
      bootCode: [
        { what: "mbr", sha256: sha256Hex(newMbr.subarray(0, MBR_CODE_SIZE)) },
        { what: "core.img", sha256: sha256Hex(core) },
      ],
    };
  },

  writeMenu: writeGrubMenu,

  isAtomic: () => true,
};
