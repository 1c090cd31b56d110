import { BootcErrors } from "../errors.js";
import type { Sysroot } from "../sysroot/sysroot.js";

/** The deployment a verb acts on when none is named: the booted one, else the default. */
export async function defaultTarget(sysroot: Sysroot, ref?: string): Promise<string> {
  const target = ref ?? sysroot.booted ?? (await sysroot.entrySet())?.entries[0]?.deployment;
  if (target === undefined) throw BootcErrors.noDeployment("booted or default");
  return target;
}

/** Pins or unpins a deployment: cleanup never removes a pinned one. */
export async function setPinned(
  sysroot: Sysroot,
  pinned: boolean,
  ref?: string,
): Promise<{ deployment: string; pinned: boolean }> {
  return sysroot.locked(pinned ? "pinning" : "unpinning", async () => {
    const deployment = await defaultTarget(sysroot, ref);
    const origin = await sysroot.origin(deployment);
    if (origin.pinned !== pinned) await sysroot.writeOrigin({ ...origin, pinned });
    return { deployment, pinned };
  });
}
