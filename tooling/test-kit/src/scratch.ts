import { promises as fs } from "node:fs";
import path from "node:path";
import { unmountAll } from "@particle/runtime";
import { onTestFinished } from "vitest";
import { detachLoopDevicesUnder } from "./loop.js";

/** Where tests make their files: on disk (not tmpfs), so loop-mounted images behave as in production. */
export const SCRATCH_ROOT = process.env.PARTICLE_TEST_SCRATCH ?? "/var/tmp/particle-tests";

/** Unmounts everything below `dir`, detaches its loop devices and removes it. Safe to call twice. */
export async function destroyScratch(dir: string): Promise<void> {
  await unmountAll(dir, { lazy: true });
  await detachLoopDevicesUnder(dir);
  await fs.rm(dir, { recursive: true, force: true });
}

/**
 * A fresh directory for one test (or one suite with `scope: "manual"`). Whatever the test mounts or
 * loop-attaches below it is undone when the test finishes, whether it passed or failed.
 */
export async function scratchDir(name: string, options: { scope?: "test" | "manual" } = {}): Promise<string> {
  await fs.mkdir(SCRATCH_ROOT, { recursive: true });
  const dir = await fs.mkdtemp(path.join(SCRATCH_ROOT, `${name.replace(/[^\w.-]/g, "_")}-`));
  if ((options.scope ?? "test") === "test") onTestFinished(() => destroyScratch(dir));
  return dir;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("integration tests need root (real mounts, loop devices, chroots): run them as root");
  }
}
