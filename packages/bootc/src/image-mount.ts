import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
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
  try {
    await store.mount(manifestDigest, target);
    try {
      return await body(target);
    } finally {
      await store.unmount(target);
    }
  } finally {
    await fs.rm(target, { recursive: true, force: true });
  }
}
