import { promises as fs } from "node:fs";
import path from "node:path";
import { mount, type Partition } from "@particle/runtime";
import {
  buildMarkerInitramfs,
  createDiskImage,
  rootfsKernel,
  SNAKEOIL_CERT,
  SNAKEOIL_KEY,
  SNAKEOIL_PASSPHRASE,
  scratchDir,
} from "@particle/test-kit";
import type { BootEntryInput, BootTarget, SigningKey } from "../src/index.js";

/** The "user's key": the snakeoil key that OVMF_VARS_4M.snakeoil.fd enrolls in db. */
export const snakeoilSigning: SigningKey = {
  key: SNAKEOIL_KEY,
  cert: SNAKEOIL_CERT,
  passphrase: SNAKEOIL_PASSPHRASE,
};

/** An empty directory standing in for an ESP, in a scratch dir removed after the test. */
export async function scratchEsp(name: string): Promise<string> {
  const esp = path.join(await scratchDir(name), "esp");
  await fs.mkdir(esp);
  return esp;
}

/**
 * Puts the image's kernel and a marker initramfs on a boot filesystem under /particle/<name>/ and
 * returns their paths as the bootloader sees them.
 */
export async function stageKernel(
  image: string,
  bootDir: string,
  name = "dep0",
): Promise<{ kernel: string; initrd: string }> {
  const dir = path.join(bootDir, "particle", name);
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(await rootfsKernel(image), path.join(dir, "vmlinuz"));
  await buildMarkerInitramfs(image, path.join(dir, "initrd.img"));
  return { kernel: `/particle/${name}/vmlinuz`, initrd: `/particle/${name}/initrd.img` };
}

/** An entry whose boot prints `PARTICLE-MARKER <marker>` on the second serial port. */
export function markerEntry(
  id: string,
  files: { kernel: string; initrd: string },
  extra: Partial<BootEntryInput> = {},
): BootEntryInput {
  return {
    id,
    title: `Particle ${id}`,
    kernel: files.kernel,
    initrd: [files.initrd],
    options: `console=ttyS0 panic=-1 PARTICLE_MARKER=${id}`,
    ...extra,
  };
}

/** Loop-mounts the ext4 partition of a disk image at `mountPoint` (offset mount: no partition scanning needed). */
async function mountPartition(disk: string, partition: Partition, mountPoint: string): Promise<void> {
  await fs.mkdir(mountPoint, { recursive: true });
  await mount({
    source: disk,
    target: mountPoint,
    type: "ext4",
    options: ["loop", `offset=${partition.offset}`, `sizelimit=${partition.size}`],
  });
}

/**
 * A GPT disk image for BIOS bootloaders in a scratch dir: a 1 MiB BIOS boot partition and an ext4
 * boot partition, mounted at DIR/boot. Returns the bootloader target (disk, boot, partition 2).
 */
export async function mountedBiosDisk(
  name: string,
): Promise<{ dir: string; disk: string; boot: string; target: BootTarget }> {
  const dir = await scratchDir(name);
  const disk = path.join(dir, "disk.img");
  const table = await createDiskImage(disk, [
    { sizeMiB: 1, type: "bios-boot", name: "bios" },
    { sizeMiB: 64, type: "linux", name: "boot", content: { type: "ext4", label: "boot" } },
  ]);
  const bootPart = table[1];
  if (bootPart === undefined) throw new Error("the boot partition is missing");
  const boot = path.join(dir, "boot");
  await mountPartition(disk, bootPart, boot);
  return { dir, disk, boot, target: { boot, disk, bootPartition: bootPart.number } };
}
