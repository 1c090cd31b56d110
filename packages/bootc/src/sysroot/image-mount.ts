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
      await store.unmount(target).catch(ignoreBusyDirectory);
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // rmdir, never a recursive rm: the directory may still be a mount point if unmounting failed,
    // and that failure is the error to report.
    await fs.rmdir(target).catch((error) => {
      if (!failed) ignoreBusyDirectory(error);
    });
  }
}

/** Undoes whatever a killed operation left mounted below the scratch directory, and empties it. */
export async function clearScratch(layout: SysrootLayout): Promise<void> {
  const scratch = path.join(layout.particle, "tmp");
  await unmountAll(scratch, { lazy: true });
  await fs.rm(scratch, { recursive: true, force: true }).catch(ignoreBusyDirectory);
}

/**
 * Once the mounts are undone, an empty mount point directory that the kernel still counts as busy
 * (seen on a booted system at shutdown, from a mount namespace that is going away) is harmless: it is
 * removed by the next cleanup. Anything else is a real failure.
 */
function ignoreBusyDirectory(error: unknown): void {
  const code = (error as NodeJS.ErrnoException).code;
  const syscall = (error as NodeJS.ErrnoException).syscall;
  if (code === "EBUSY" && syscall === "rmdir") return;
  throw error;
}
