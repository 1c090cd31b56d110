import { errors } from "../errors.js";
import { BackendName } from "../spec.js";
import { extlinux } from "./extlinux.js";
import { grubBios } from "./grub-bios.js";
import { grubEfi } from "./grub-efi.js";
import { lilo } from "./lilo.js";
import { systemdBoot } from "./systemd-boot.js";
import type { Bootloader } from "./types.js";

/** Every backend, in the order `adopt` probes a target. */
export const bootloaders: readonly Bootloader[] = [systemdBoot, grubEfi, grubBios, extlinux, lilo];

export function bootloader(name: string): Bootloader {
  const parsed = BackendName.safeParse(name);
  const found = parsed.success ? bootloaders.find((b) => b.name === parsed.data) : undefined;
  if (found === undefined) throw errors.unknownBackend(name);
  return found;
}
