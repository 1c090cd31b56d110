import { formatGrubEnv, grubTriesVar, normalizeMenu, renderGrubConfig } from "@particle/bootupd";
import type { BootEntrySet } from "../spec.js";
import type { BootConfigRenderer } from "./entries.js";

export interface GrubMenuOptions {
  /** Also show the menu on the first serial port. @default true */
  readonly serial?: boolean;
  /** Seconds the menu waits. @default 1 */
  readonly timeout?: number;
}

/** GRUB menu ids cannot hold '/': `<stateroot>-<id>` (both are [a-z0-9_-]). */
export function grubEntryId(deployment: string): string {
  return deployment.replace("/", "-");
}

/**
 * GRUB's menu for an entry set (pure), via @particle/bootupd's generator: `grub/grub.cfg` and
 * `grub/grubenv` with the trial's counter, both in the set's directory. The trial entry is counted
 * down by GRUB on every boot; at 0 GRUB boots the next entry (the rollback).
 */
export function grubRenderer(options: GrubMenuOptions = {}): BootConfigRenderer {
  return (set: BootEntrySet): Record<string, string> => {
    const entries = set.entries.map((entry, i) => ({
      id: grubEntryId(entry.deployment),
      title: entry.title,
      kernel: entry.kernel,
      initrd: [entry.initrd],
      options: entry.options,
      // Keeps the set's order: higher sorts first.
      sortKey: String(set.entries.length - i).padStart(4, "0"),
      ...(set.trial?.deployment === entry.deployment ? { tries: set.trial.tries } : {}),
    }));
    const first = entries[0];
    if (first === undefined) return {};
    const menu = normalizeMenu(entries, {
      default: first.id,
      timeout: options.timeout ?? 1,
      serial: options.serial ?? true,
    });
    const env = set.trial
      ? { [grubTriesVar(grubEntryId(set.trial.deployment))]: String(set.trial.tries) }
      : {};
    return { "grub/grub.cfg": renderGrubConfig(menu), "grub/grubenv": formatGrubEnv(env) };
  };
}
