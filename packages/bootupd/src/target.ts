import path from "node:path";
import { pathExists } from "@particle/runtime";
import { errors } from "./errors.js";

/** Where a bootloader goes. Everything is a directory path, so the same code serves a booted system
 * (mounted ESP and /boot) and an offline image (directories staged, then copied in with mtools). */
export interface BootTarget {
  /** The ESP: a mounted ESP, or a directory staged for an offline image. UEFI bootloaders go here. */
  readonly esp?: string;
  /** The filesystem with kernels, initrds, menus and the bootupd state (/boot); the ESP when they share it. */
  readonly boot: string;
  /** The whole disk (block device or image file) for BIOS boot code (MBR, BIOS boot partition). */
  readonly disk?: string;
  /** The number of the partition that holds `boot` on `disk` (GRUB for BIOS embeds it). */
  readonly bootPartition?: number;
  /** The efivarfs directory, for one-shot boots with systemd-boot (/sys/firmware/efi/efivars). */
  readonly efivars?: string;
}

export type RootName = "esp" | "boot";

/** The directory a root name stands for on this target. */
export function rootDir(target: BootTarget, root: RootName): string {
  if (root === "boot") return target.boot;
  // Reached when files recorded on the ESP are checked without --esp (validate --boot DIR).
  if (target.esp === undefined) throw errors.targetMissing("--esp", "this target");
  return target.esp;
}

/** "esp:EFI/BOOT/BOOTX64.EFI" → absolute path. */
export function resolveKey(target: BootTarget, key: string): string {
  const [root, rel] = splitKey(key);
  return path.join(rootDir(target, root), rel);
}

export function splitKey(key: string): [RootName, string] {
  const colon = key.indexOf(":");
  const root = key.slice(0, colon);
  if (root !== "esp" && root !== "boot") throw new Error(`invalid file key ${key}`);
  return [root, key.slice(colon + 1)];
}

/** The bootupd state lives on the boot filesystem, beside what it describes. */
export function statePaths(target: BootTarget) {
  const dir = path.join(target.boot, "particle-bootupd");
  return {
    dir,
    file: path.join(dir, "state.json"),
    journal: path.join(dir, "journal"),
    lock: path.join(dir, "lock"),
  };
}

export interface TargetInput {
  readonly esp?: string;
  readonly boot?: string;
  readonly disk?: string;
  readonly bootPartition?: number;
  readonly efivars?: string;
}

/**
 * A target with a booted system's defaults filled in: /boot (or the ESP, when only it is given) and
 * /boot/efi as the ESP when it is there.
 */
export async function resolveTarget(input: TargetInput): Promise<BootTarget> {
  const boot = path.resolve(input.boot ?? input.esp ?? "/boot");
  let esp = input.esp === undefined ? undefined : path.resolve(input.esp);
  if (esp === undefined && input.boot === undefined && (await pathExists("/boot/efi/EFI"))) esp = "/boot/efi";
  return {
    boot,
    ...(esp === undefined ? {} : { esp }),
    ...(input.disk === undefined ? {} : { disk: path.resolve(input.disk) }),
    ...(input.bootPartition === undefined ? {} : { bootPartition: input.bootPartition }),
    ...(input.efivars === undefined ? {} : { efivars: input.efivars }),
  };
}
