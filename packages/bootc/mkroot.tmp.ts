import { debianRootfs } from "@particle/test-kit";
console.log(await debianRootfs({ include: ["linux-image-amd64", "systemd-sysv", "initramfs-tools", "udev", "nodejs", "e2fsprogs", "kmod", "attr", "grub-efi-amd64-bin"] }));
