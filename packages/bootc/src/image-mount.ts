import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { unmountAll } from "@particle/runtime";
import type { SysrootLayout } from "./layout.js";
import type { DeployStore } from "./store.js";

/** Mounts an image read-only below the sysroot's scratch directory for the duration of `body`. */
export async function withImage<T>(
  store: DeployStore,
  layout: SysrootLayout,
  manifestDigest: string,
  body: (root: string) => Promise<T>,
): Promise<T> {
  const target = path.join(layout.particle, "tmp", `image-${randomBytes(4).toString("hex")}`);
  await fs.mkdir(target, { recursive: true });
  let failed = false;
  try {
    await store.mount(manifestDigest, target);
    try {
      return await body(target);
    } finally {
      await store.unmount(target);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // rmdir, never a recursive rm: the directory may still be a mount point if unmounting failed,
    // and that failure is the error to report.
    await fs.rmdir(target).catch((error) => {
      if (!failed) throw error;
    });
  }
}

/** Undoes whatever a killed operation left mounted below the scratch directory, and empties it. */
export async function clearScratch(layout: SysrootLayout): Promise<void> {
  const scratch = path.join(layout.particle, "tmp");
  await unmountAll(scratch, { lazy: true });
  await fs.rm(scratch, { recursive: true, force: true });
}
