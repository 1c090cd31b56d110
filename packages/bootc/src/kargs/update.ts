import { commitEntrySet } from "../boot/entries.js";
import { bootEntryFor } from "../deploy/finalize.js";
import { BootcErrors } from "../errors.js";
import type { Sysroot } from "../sysroot/sysroot.js";
import { editKargs, type KargsEdit } from "./edit.js";

export interface KargsResult {
  readonly deployment: string;
  readonly kargs: readonly string[];
  readonly changed: boolean;
}

/** The kernel arguments the default deployment boots with. */
export async function listKargs(sysroot: Sysroot): Promise<KargsResult> {
  const deployment = (await sysroot.entrySet())?.entries[0]?.deployment;
  if (deployment === undefined) throw BootcErrors.noDeployment("default");
  return { deployment, kargs: (await sysroot.origin(deployment)).kargs, changed: false };
}

/**
 * Edits the default deployment's kernel arguments. They apply from the next boot: the entry set is
 * switched first (the bootloader's view), then the origin records them.
 */
export async function updateKargs(sysroot: Sysroot, edit: KargsEdit): Promise<KargsResult> {
  return sysroot.locked("editing kernel arguments", async () => {
    const set = await sysroot.entrySet();
    const first = set?.entries[0];
    if (set === undefined || first === undefined) throw BootcErrors.noDeployment("default");
    const origin = await sysroot.origin(first.deployment);
    const kargs = editKargs(origin.kargs, edit);
    const changed = kargs.join(" ") !== origin.kargs.join(" ");
    if (changed) {
      const updated = { ...origin, kargs };
      await commitEntrySet(
        sysroot.layout,
        {
          entries: [bootEntryFor(sysroot, updated), ...set.entries.slice(1)],
          ...(set.trial ? { trial: set.trial } : {}),
        },
        sysroot.renderers,
      );
      await sysroot.writeOrigin(updated);
    }
    return { deployment: first.deployment, kargs, changed };
  });
}
