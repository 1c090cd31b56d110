import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { fsyncDir, fsyncFile, ifExists, pathExists, renameDurable } from "@particle/runtime";
import type { SysrootLayout } from "../sysroot/layout.js";

export interface ImageKernel {
  readonly version: string;
  readonly kernel: string;
  readonly initrd: string;
}

/** Kernel versions that have both a kernel and an initramfs in an image tree, newest last. */
export async function findKernels(imageRoot: string): Promise<ImageKernel[]> {
  const found: ImageKernel[] = [];
  const modules = path.join(imageRoot, "usr/lib/modules");
  for (const version of (await ifExists(fs.readdir(modules))) ?? []) {
    // The bootc convention: the kernel lives with its modules.
    const kernel = path.join(modules, version, "vmlinuz");
    const initrd = path.join(modules, version, "initramfs.img");
    if ((await pathExists(kernel)) && (await pathExists(initrd))) found.push({ version, kernel, initrd });
  }
  for (const name of (await ifExists(fs.readdir(path.join(imageRoot, "boot")))) ?? []) {
    if (!name.startsWith("vmlinuz-")) continue;
    const version = name.slice("vmlinuz-".length);
    if (found.some((k) => k.version === version)) continue;
    const initrd = path.join(imageRoot, "boot", `initrd.img-${version}`);
    if (await pathExists(initrd)) found.push({ version, kernel: path.join(imageRoot, "boot", name), initrd });
  }
  return found.sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true }));
}

/** sha256 over the kernel then the initramfs: the name of their shared directory. */
export async function kernelChecksum(kernel: ImageKernel): Promise<string> {
  const hash = createHash("sha256");
  for (const file of [kernel.kernel, kernel.initrd]) {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

/**
 * Copies a kernel and initramfs into `particle/boot/kernels/<checksum>/` unless deployments already
 * share them there. The directory appears complete or not at all (written under a temp name).
 */
export async function installKernel(layout: SysrootLayout, kernel: ImageKernel): Promise<string> {
  const checksum = await kernelChecksum(kernel);
  const dir = layout.kernelDir(checksum);
  if (await pathExists(path.join(dir, "initrd.img"))) return checksum;
  const temp = `${dir}.tmp`;
  await fs.rm(temp, { recursive: true, force: true });
  await fs.mkdir(temp, { recursive: true });
  for (const [from, name] of [
    [kernel.kernel, "vmlinuz"],
    [kernel.initrd, "initrd.img"],
  ] as const) {
    await fs.copyFile(from, path.join(temp, name));
    await fsyncFile(path.join(temp, name));
  }
  await fsyncDir(temp);
  await fs.rm(dir, { recursive: true, force: true });
  await renameDurable(temp, dir);
  return checksum;
}
