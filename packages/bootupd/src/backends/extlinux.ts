import { promises as fs } from "node:fs";
import path from "node:path";
import {
  mkdirDurable,
  pathExists,
  readPartitions,
  run,
  sha256File,
  sha256Hex,
  writeFileAtomic,
} from "@particle/runtime";
import { MBR_CODE_SIZE } from "../bios-boot-code.js";
import { writeAtDurable } from "../block-device.js";
import type { Menu } from "../entries.js";
import { errors } from "../errors.js";
import { renderExtlinux } from "../menu/extlinux-conf.js";
import type { BootTarget } from "../target.js";
import { detectRequirements, requireAll } from "./source.js";
import type { Bootloader } from "./types.js";

/**
 * syslinux's extlinux, for BIOS machines, on an ext2/3/4 (or FAT) boot filesystem that is mounted:
 * `extlinux --install` writes ldlinux.sys, records its sectors in the partition's boot sector and
 * drops ldlinux.c32 beside it; gptmbr.bin goes into the MBR and finds the partition with the GPT
 * "legacy BIOS bootable" attribute. extlinux rewrites its own files in place, so its update is not a
 * directory swap (extlinux has no atomic update); the menu is one file, replaced in one rename.
 */

const DIR = "extlinux";
const REQUIREMENTS = [
  { file: "usr/bin/extlinux", pkg: "extlinux" },
  { file: "usr/lib/EXTLINUX/gptmbr.bin", pkg: "extlinux" },
];
const PACKAGES = ["extlinux", "syslinux-common"];

/** The extlinux binary of the image, so the installed loader is the image's version. */
async function extlinuxTool(source?: string): Promise<string> {
  const own = source === undefined ? undefined : path.join(source, "usr/bin/extlinux");
  return own !== undefined && (await pathExists(own)) ? own : "extlinux";
}

export const extlinux: Bootloader = {
  name: "extlinux",
  firmware: "bios",
  packages: () => PACKAGES,

  detect: (source) => detectRequirements("extlinux", source, REQUIREMENTS, PACKAGES),

  async checkTarget(target) {
    if (target.disk === undefined) return;
    const partitions = await readPartitions(target.disk);
    if (!partitions.some((p) => p.number === target.bootPartition)) {
      throw errors.targetMissing(
        `partition ${target.bootPartition ?? "(--boot-partition)"} on --disk`,
        "extlinux",
      );
    }
  },

  async query(target) {
    return pathExists(path.join(target.boot, DIR, "ldlinux.sys"));
  },

  async plan(source) {
    await requireAll("extlinux", source, REQUIREMENTS);
    return [];
  },

  async installBootCode(target: BootTarget, source: string) {
    const dir = path.join(target.boot, DIR);
    await mkdirDurable(dir);
    await run(await extlinuxTool(source), ["--install", dir]);
    const files = { [`boot:${DIR}/ldlinux.c32`]: await sha256File(path.join(dir, "ldlinux.c32")) };
    if (target.disk === undefined || target.bootPartition === undefined) return { bootCode: [], files };
    await run("sfdisk", ["--part-attrs", target.disk, String(target.bootPartition), "LegacyBIOSBootable"]);
    const mbr = (await fs.readFile(path.join(source, "usr/lib/EXTLINUX/gptmbr.bin"))).subarray(
      0,
      MBR_CODE_SIZE,
    );
    await writeAtDurable(target.disk, 0, mbr);
    return { bootCode: [{ what: "mbr", sha256: sha256Hex(mbr) }], files };
  },

  async writeMenu(target, menu: Menu) {
    const dir = path.join(target.boot, DIR);
    await mkdirDurable(dir);
    const plan = renderExtlinux(menu);
    await writeFileAtomic(path.join(dir, "extlinux.conf"), plan.config);
    // The ADV (once-label) lives in ldlinux.sys; only an installed extlinux has one.
    if (await pathExists(path.join(dir, "ldlinux.sys"))) {
      await run(await extlinuxTool(), plan.once ? [`--once=${plan.once}`, dir] : ["--clear-once", dir]);
    } else if (plan.once) {
      throw errors.oneshotUnsupported(
        "extlinux",
        "extlinux is not installed on this boot filesystem, so it has no ADV",
      );
    }
  },

  isAtomic: () => true,
};
