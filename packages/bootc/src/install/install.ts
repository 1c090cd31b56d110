import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Store } from "@particle/composefs";
import { ifExists, mkdirDurable } from "@particle/runtime";
import type { BootConfigWriter } from "../boot/entries.js";
import { grubRenderer } from "../boot/grub.js";
import { writeSysrootBootloader } from "../boot/systemd-boot-host.js";
import { systemdBootPublisher } from "../boot/systemd-boot-publisher.js";
import { type ImageImporter, switchImage } from "../deploy/upgrade.js";
import { BootcErrors } from "../errors.js";
import { clearScratch, withImage } from "../sysroot/image-mount.js";
import { SysrootLayout } from "../sysroot/layout.js";
import { Sysroot } from "../sysroot/sysroot.js";
import { type DiskLayout, writeDisk } from "./disk.js";

/** Kernel arguments every installed deployment starts with (besides root=): see README "Boot". */
export const DEFAULT_KARGS = ["ro", "panic=10"];

/**
 * Creates an empty sysroot (deploy and boot directories, the store) and opens it; GRUB's menu by
 * default, systemd-boot's entries on `esp` when given.
 */
export async function initSysroot(
  root: string,
  options: { renderers?: readonly BootConfigWriter[]; storeRunDir?: string; esp?: string } = {},
): Promise<Sysroot> {
  const layout = new SysrootLayout(path.resolve(root));
  await mkdirDurable(layout.deployRoot);
  await mkdirDurable(layout.bootRoot);
  const store = await Store.open(layout.store, {
    create: true,
    ...(options.storeRunDir ? { runDir: options.storeRunDir } : {}),
  });
  const { esp } = options;
  await writeSysrootBootloader(layout, esp === undefined ? "grub" : "systemd-boot");
  if (esp !== undefined) {
    const renderers = options.renderers ?? [systemdBootPublisher({ esp, root: layout.root })];
    return Sysroot.open(layout.root, { store, renderers });
  }
  // GRUB's stub looks for /grub/grub.cfg on every filesystem; the menu switches with the entry set.
  await fs.rm(layout.grubLink, { force: true });
  await fs.symlink("particle/boot/entries/grub", layout.grubLink);
  return Sysroot.open(layout.root, { store, renderers: options.renderers ?? [grubRenderer()] });
}

export interface InstallOptions {
  /** The image: a transport reference (oci:DIR:TAG, docker://…) or a reference in `importer`'s reach. */
  readonly reference: string;
  /** The reference upgrades follow, when the installer fetches the image from elsewhere. @default reference */
  readonly trackedReference?: string;
  readonly importer: ImageImporter;
  /** @default "default" */
  readonly stateroot?: string;
  /** Extra kernel arguments (console=… for a serial console). */
  readonly kargs?: readonly string[];
  readonly renderers?: readonly BootConfigWriter[];
  /** The ESP (a directory): boot entries go there for systemd-boot. @default GRUB's menu on the root */
  readonly esp?: string;
  /** Runtime directory for the store's mount records. @default "/run/particle" */
  readonly storeRunDir?: string;
}

async function checkEmpty(target: string): Promise<void> {
  const st = await ifExists(fs.stat(target));
  if (!st?.isDirectory()) throw BootcErrors.targetInvalid(target, "not a directory");
  const names = (await fs.readdir(target)).filter((n) => n !== "lost+found");
  if (names.length > 0)
    throw BootcErrors.targetInvalid(target, `not empty (${names.slice(0, 3).join(", ")})`);
}

/** Installs onto a mounted, empty filesystem: sysroot, store, the image and its boot entry. */
export async function installToFilesystem(
  target: string,
  options: InstallOptions & { readonly rootKarg: string },
): Promise<{ sysroot: Sysroot; deployment: string }> {
  await checkEmpty(target);
  try {
    const sysroot = await initSysroot(target, options);
    const staged = await switchImage(sysroot, {
      reference: options.reference,
      ...(options.trackedReference ? { trackedReference: options.trackedReference } : {}),
      importer: options.importer,
      stateroot: options.stateroot ?? "default",
      kargs: [options.rootKarg, ...DEFAULT_KARGS, ...(options.kargs ?? [])],
      finalize: true,
    });
    await clearScratch(sysroot.layout);
    return { sysroot, deployment: staged.deployment };
  } catch (error) {
    // The target was empty: leave it so, ready for another try.
    for (const name of await fs.readdir(target)) {
      if (name !== "lost+found") await fs.rm(path.join(target, name), { recursive: true, force: true });
    }
    throw error;
  }
}

/** Puts a bootloader's files into a staged ESP directory, taking them from the deployed image (bootupd). */
export type BootloaderInstaller = (input: {
  espDir: string;
  bootDir: string;
  imageRoot: string;
  work: string;
}) => Promise<void>;

export interface DiskInstallOptions extends InstallOptions {
  readonly bootloader: BootloaderInstaller;
  /** Which bootloader reads the boot entries; match it to `bootloader`. @default "grub" */
  readonly bootEntries?: "grub" | "systemd-boot";
  /** @default 64 */
  readonly espMiB?: number;
  /** @default 3072 */
  readonly rootMiB?: number;
}

/**
 * Installs to a whole disk or a disk image file, offline: the root tree is prepared in a scratch
 * directory, then the GPT, the ESP (bootloader from the image) and the ext4 root are written.
 */
export async function installToDisk(
  disk: string,
  options: DiskInstallOptions,
): Promise<{ deployment: string; layout: DiskLayout }> {
  const layout: DiskLayout = {
    espMiB: options.espMiB ?? 64,
    rootMiB: options.rootMiB ?? 3072,
    rootUuid: randomUUID(),
  };
  for (const [what, value] of [
    ["ESP size", layout.espMiB],
    ["root size", layout.rootMiB],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw BootcErrors.sizeInvalid(what, value);
  }
  const st = await ifExists(fs.stat(disk));
  if (st !== undefined && !st.isFile() && !st.isBlockDevice())
    throw BootcErrors.targetInvalid(disk, "not a block device or a regular file");
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "particle-install-"));
  try {
    const rootDir = path.join(work, "root");
    const espDir = path.join(work, "esp");
    await fs.mkdir(rootDir);
    await fs.mkdir(espDir);
    const { sysroot, deployment } = await installToFilesystem(rootDir, {
      ...options,
      rootKarg: `root=UUID=${layout.rootUuid}`,
      ...(options.bootEntries === "systemd-boot" ? { esp: espDir } : {}),
    });
    const origin = await sysroot.origin(deployment);
    await withImage(sysroot.store, sysroot.layout, origin.image.manifestDigest, (imageRoot) =>
      options.bootloader({ espDir, bootDir: rootDir, imageRoot, work }),
    );
    await clearScratch(sysroot.layout); // no mount point may stay in the tree copied into the disk
    await writeDisk(disk, layout, espDir, rootDir, work);
    return { deployment, layout };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
