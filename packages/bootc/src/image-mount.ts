import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { isMountPoint, mount, run, unmountAll } from "@particle/runtime";
import type { SysrootLayout } from "./layout.js";
import type { DeployStore } from "./store.js";

/**
 * Makes `dir` a private mount point (a bind of itself), so that what is mounted below it does not
 * propagate into other mount namespaces. On a booted system `/` is shared and services with their own
 * namespaces (ProtectSystem=, PrivateTmp=) receive copies of new mounts; a copy can outlive our
 * unmount and keep the directory busy (rmdir fails with EBUSY).
 */
export async function privateMountPoint(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (!(await isMountPoint(dir))) await mount({ source: dir, target: dir, options: ["bind"] });
  await run("mount", ["--make-private", dir]);
}

/** Mounts an image read-only below the sysroot's scratch directory for the duration of `body`. */
export async function withImage<T>(
  store: DeployStore,
  layout: SysrootLayout,
  manifestDigest: string,
  body: (root: string) => Promise<T>,
): Promise<T> {
  const scratch = path.join(layout.particle, "tmp");
  await privateMountPoint(scratch);
  const target = path.join(scratch, `image-${randomBytes(4).toString("hex")}`);
  await fs.mkdir(target);
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
