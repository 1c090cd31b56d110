import { promises as fs } from "node:fs";
import { commitEntrySet } from "../boot/entries.js";
import { BootcErrors } from "../errors.js";
import type { BootEntrySet } from "../spec.js";
import type { Sysroot } from "../sysroot/sysroot.js";

export interface RollbackResult {
  /** The deployment booted next. */
  readonly deployment: string;
  /** The one it replaces as default (now the rollback). */
  readonly previous: string;
  /** Staged deployments discarded by the rollback. */
  readonly discardedStaged: readonly string[];
}

/** Swaps the default and the rollback entry in one switch of the entry set; drops staged deployments. */
export async function rollback(sysroot: Sysroot): Promise<RollbackResult> {
  return sysroot.locked("rolling back", async () => {
    const set = await sysroot.entrySet();
    const [first, second, ...rest] = set?.entries ?? [];
    if (first === undefined || second === undefined) throw BootcErrors.noDeployment("rollback");
    const discarded: string[] = [];
    for (const [stateroot, staged] of await sysroot.staged()) {
      await fs.rm(sysroot.layout.staged(stateroot), { force: true });
      discarded.push(`${stateroot}/${staged.deployment}`);
    }
    await commitEntrySet(sysroot.layout, { entries: [second, first, ...rest] }, sysroot.renderers);
    return { deployment: second.deployment, previous: first.deployment, discardedStaged: discarded };
  });
}

export interface BootCompleteResult {
  /** `marked-good`: the default passed its trial; `fell-back`: the trial failed and the fallback booted. */
  readonly outcome: "marked-good" | "fell-back" | "nothing-to-do";
  readonly booted: string | undefined;
  readonly trial?: string;
}

/** What marking this boot good changes in an entry set (pure). */
export function planBootComplete(
  set: BootEntrySet | undefined,
  booted: string | undefined,
): { outcome: BootCompleteResult["outcome"]; entries?: BootEntrySet["entries"] } {
  if (set?.trial === undefined || booted === undefined) return { outcome: "nothing-to-do" };
  if (set.trial.deployment === booted) return { outcome: "marked-good", entries: set.entries };
  const bootedEntry = set.entries.find((e) => e.deployment === booted);
  if (bootedEntry === undefined) return { outcome: "nothing-to-do" };
  // The trial used up its tries and the bootloader fell back: make the fallback the default.
  return { outcome: "fell-back", entries: [bootedEntry, ...set.entries.filter((e) => e !== bootedEntry)] };
}

/** Ends the boot-counting trial: run once the boot reached its goal (particle-boot-complete.service). */
export async function markBootComplete(sysroot: Sysroot): Promise<BootCompleteResult> {
  return sysroot.locked("marking the boot good", async () => {
    const set = await sysroot.entrySet();
    const plan = planBootComplete(set, sysroot.booted);
    if (plan.entries !== undefined)
      await commitEntrySet(sysroot.layout, { entries: plan.entries }, sysroot.renderers);
    return {
      outcome: plan.outcome,
      booted: sysroot.booted,
      ...(set?.trial ? { trial: set.trial.deployment } : {}),
    };
  });
}
