import { debianRootfs } from "../rootfs.js";

/** The packages of the image that bootloader tests install from: every bootloader and a kernel. */
export const BOOTLOADER_IMAGE_PACKAGES: readonly string[] = [
  "linux-image-amd64",
  "grub-efi-amd64-bin",
  "grub-pc-bin",
  "grub-efi-amd64-signed",
  "shim-signed",
  "systemd-boot-efi",
  "extlinux",
  "syslinux-common",
];

/**
 * The Debian rootfs with every bootloader package and a kernel, built once and shared by the
 * bootupd library tests and the particle-bootupctl CLI tests (one cache entry for both).
 */
export function bootloaderImage(): Promise<string> {
  // Bookworm until the VM tests move: which release they boot is theirs to decide.
  return debianRootfs({ suite: "bookworm", include: BOOTLOADER_IMAGE_PACKAGES });
}
