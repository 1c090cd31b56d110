import os from "node:os";
import path from "node:path";
import { installBootloader } from "@particle/bootupd";
import { Store } from "@particle/composefs";
import { importImage } from "@particle/oci";
import { pathExists, readFileIfExists } from "@particle/runtime";
import { grubRenderer } from "../boot/grub.js";
import { systemdBootWriters } from "../boot/systemd-boot-host.js";
import type { ImageImporter } from "../deploy/upgrade.js";
import { BootcErrors } from "../errors.js";
import type { BootloaderInstaller } from "../install/install.js";
import { SysrootLayout } from "./layout.js";
import { Sysroot } from "./sysroot.js";

export interface HostOptions {
  /** Runtime directory: the boot script writes `booted` there. @default "/run/particle" */
  readonly runDir?: string;
  /** A mounted ESP, for a sysroot installed with systemd-boot. @default the ESP systemd-boot booted from */
  readonly esp?: string;
  /** Where the EFI variables are read from, to find that ESP. @default "/sys/firmware/efi/efivars" */
  readonly efivars?: string;
}

/**
 * Opens the physical root of this machine (or an install target): its store, the deployment it is
 * booted into (from `<runDir>/booted`, written by the boot script) and its bootloader's writer (GRUB's
 * menu, or systemd-boot's entries on the ESP).
 */
export async function openSysroot(root: string, options: HostOptions = {}): Promise<Sysroot> {
  const runDir = options.runDir ?? "/run/particle";
  const layout = new SysrootLayout(path.resolve(root));
  if (!(await pathExists(layout.deployRoot))) throw BootcErrors.notASysroot(layout.root);
  const booted = (await readFileIfExists(path.join(runDir, "booted")))?.trim();
  const store = await Store.open(layout.store, { runDir });
  return Sysroot.open(layout.root, {
    store,
    renderers: (await systemdBootWriters(layout, { ...options, runDir })) ?? [grubRenderer()],
    runDir,
    ...(booted ? { booted } : {}),
  });
}

export interface ImporterOptions {
  /** Registry credentials; must be mode 0600. @default "/etc/particle/auth.json" */
  readonly authFile?: string;
  readonly insecure?: readonly string[];
  /** Scratch space for downloads. @default the system's temp directory */
  readonly workDir?: string;
}

/** Imports transport references with @particle/oci, with credentials from the auth file. */
export function ociImporter(options: ImporterOptions = {}): ImageImporter {
  return async (store, source, name) => {
    // @particle/oci refuses an auth file others can read before the transport opens.
    const result = await importImage(store as Store, source, name, {
      workDir: options.workDir ?? path.join(os.tmpdir(), "particle-bootc-import"),
      authFile: options.authFile ?? "/etc/particle/auth.json",
      ...(options.insecure ? { insecure: options.insecure } : {}),
    });
    return { manifestDigest: result.manifestDigest };
  };
}

/** Installs a bootloader with @particle/bootupd from the deployed image (GRUB for UEFI by default). */
export function bootupdInstaller(backend = "grub-efi"): BootloaderInstaller {
  return async ({ espDir, bootDir, imageRoot }) => {
    await installBootloader({ esp: espDir, boot: bootDir }, { backend, source: imageRoot });
  };
}
