import { promises as fs } from "node:fs";
import path from "node:path";
import {
  API_VERSION,
  ifExists,
  isMountPoint,
  mount,
  readFileIfExists,
  writeJsonAtomic,
} from "@particle/runtime";
import { BootcErrors } from "../errors.js";
import { SysrootBootloader } from "../spec.js";
import type { SysrootLayout } from "../sysroot/layout.js";
import type { BootConfigWriter } from "./entries.js";
import { systemdBootPublisher } from "./systemd-boot-publisher.js";

/**
 * Which bootloader a sysroot was installed with (`particle/boot/bootloader.json`), and, for
 * systemd-boot on a booted machine, the ESP: the partition systemd-boot itself loaded from, named by
 * the LoaderDevicePartUUID EFI variable it sets, mounted under the runtime directory on first use
 * (in particle-bootc's private mount namespace, so it goes away with the process).
 */

/** systemd's vendor GUID for the boot loader interface's EFI variables. */
const LOADER_GUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

export async function readSysrootBootloader(layout: SysrootLayout): Promise<SysrootBootloader["bootloader"]> {
  const text = await readFileIfExists(layout.bootloader);
  return text === undefined ? "grub" : SysrootBootloader.parse(JSON.parse(text)).bootloader;
}

export async function writeSysrootBootloader(
  layout: SysrootLayout,
  bootloader: SysrootBootloader["bootloader"],
): Promise<void> {
  await writeJsonAtomic(layout.bootloader, {
    apiVersion: API_VERSION,
    kind: "SysrootBootloader",
    bootloader,
  } satisfies SysrootBootloader);
}

/**
 * The partition UUID in an efivarfs file of LoaderDevicePartUUID (pure): 4 bytes of attributes, then
 * UTF-16LE text, maybe NUL-terminated. Lowercase, as udev names /dev/disk/by-partuuid/.
 */
export function parseLoaderDevicePartUuid(data: Buffer): string | undefined {
  const text = data.subarray(4).toString("utf16le").replace(/\0+$/, "").trim().toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text) ? text : undefined;
}

export interface EspOptions {
  /** Runtime directory; the ESP is mounted at `<runDir>/esp`. */
  readonly runDir: string;
  /** @default "/sys/firmware/efi/efivars" */
  readonly efivars?: string;
}

/** Mounts the ESP systemd-boot booted from (or finds it mounted already) and returns its path. */
export async function mountBootedEsp(options: EspOptions): Promise<string> {
  const target = path.join(options.runDir, "esp");
  if (await isMountPoint(target)) return target;
  const file = path.join(
    options.efivars ?? "/sys/firmware/efi/efivars",
    `LoaderDevicePartUUID-${LOADER_GUID}`,
  );
  const data = await ifExists(fs.readFile(file));
  const uuid = data === undefined ? undefined : parseLoaderDevicePartUuid(data);
  if (uuid === undefined) throw BootcErrors.espNeeded("write boot entries (no LoaderDevicePartUUID)");
  await fs.mkdir(target, { recursive: true });
  await mount({ source: `/dev/disk/by-partuuid/${uuid}`, target, type: "vfat" });
  return target;
}

/**
 * What a sysroot writes with its entry sets, when it was installed with systemd-boot: its publisher
 * on `esp` (a mounted ESP) or on the ESP found by `mountBootedEsp`. Undefined for a GRUB sysroot.
 */
export async function systemdBootWriters(
  layout: SysrootLayout,
  options: EspOptions & { readonly esp?: string },
): Promise<BootConfigWriter[] | undefined> {
  if ((await readSysrootBootloader(layout)) !== "systemd-boot") return undefined;
  return [systemdBootPublisher({ root: layout.root, esp: options.esp ?? (() => mountBootedEsp(options)) })];
}
