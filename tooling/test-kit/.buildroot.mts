import { debianRootfs } from "/work/main/tooling/test-kit/src/rootfs.ts";
const t = Date.now();
const dir = await debianRootfs({ include: ["linux-image-amd64", "grub-efi-amd64-bin", "grub-pc-bin", "grub-efi-amd64-signed", "shim-signed", "systemd-boot-efi", "extlinux", "syslinux-common"] });
console.log(dir, (Date.now() - t) / 1000);
