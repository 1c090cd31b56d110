import { promises as fs } from "node:fs";
import path from "node:path";
import { isMountPoint, mount, mountOverlay, unmount } from "@particle/runtime";

export interface UsrOverlayOptions {
  /** @default "/usr" */
  readonly usr?: string;
  /** Where the tmpfs upper lives. @default "/run/particle/usr-overlay" */
  readonly runDir?: string;
}

/**
 * Makes /usr writable until the next reboot: an overlay with a tmpfs upper over the read-only image,
 * for debugging and quick experiments (changes vanish at reboot). Idempotent.
 */
export async function usrOverlay(
  options: UsrOverlayOptions = {},
): Promise<{ usr: string; upper: string; alreadyActive: boolean }> {
  const usr = path.resolve(options.usr ?? "/usr");
  const runDir = path.resolve(options.runDir ?? "/run/particle/usr-overlay");
  const upper = path.join(runDir, "upper");
  if (await isMountPoint(runDir)) return { usr, upper, alreadyActive: true };
  await fs.mkdir(runDir, { recursive: true });
  await mount({ source: "tmpfs", target: runDir, type: "tmpfs", options: ["mode=0755"] });
  try {
    await fs.mkdir(upper);
    await fs.mkdir(path.join(runDir, "work"));
    await mountOverlay({ lower: [usr], upper, work: path.join(runDir, "work"), target: usr });
  } catch (error) {
    // The tmpfs alone would make the next call report an overlay that is not there.
    await unmount(runDir);
    throw error;
  }
  return { usr, upper, alreadyActive: false };
}
