import path from "node:path";
import { readFileIfExists } from "@particle/runtime";
import { z } from "zod";
import { markGrubEntryGood } from "./backends/grub-menu.js";
import { bootloader } from "./backends/index.js";
import { markBlsEntryGood } from "./backends/systemd-boot.js";
import { normalizeMenu } from "./entries.js";
import { errors } from "./errors.js";
import { type LockedOptions, withBootLock } from "./lock.js";
import { grubTriesVar } from "./menu/grub-cfg.js";
import { countSignatures } from "./secureboot.js";
import { type BackendName, BootEntriesDocument, type BootEntryInput, type MenuOptionsInput } from "./spec.js";
import { readState, soleComponent } from "./state.js";
import type { BootTarget } from "./target.js";

export interface WriteEntriesOptions extends MenuOptionsInput, LockedOptions {
  /** The bootloader to write for; by default the one recorded in the target's state. */
  readonly backend?: BackendName;
}

export interface WriteEntriesReport {
  readonly backend: BackendName;
  readonly entries: number;
  /** Whether the whole menu switched with one rename (see each backend). */
  readonly atomic: boolean;
}

/**
 * Replaces the boot menu with `entries` (one per deployment), with a default, an optional one-shot
 * entry and boot counting for entries that carry `tries`. Kernel and initrd paths are on the boot
 * filesystem (the ESP for systemd-boot). On a Secure Boot install, unsigned kernels are refused.
 */
export async function writeBootEntries(
  target: BootTarget,
  entries: readonly BootEntryInput[],
  options: WriteEntriesOptions,
): Promise<WriteEntriesReport> {
  const menu = normalizeMenu(entries, options);
  return withBootLock(target, options, async () => {
    const component = soleComponent(await readState(target));
    const name = options.backend ?? component?.backend;
    if (name === undefined) throw errors.notInstalled(target.boot);
    const backend = bootloader(name);
    if (component?.secureBoot) {
      const root = backend.name === "systemd-boot" ? (target.esp ?? target.boot) : target.boot;
      for (const entry of menu.entries) {
        const kernel = path.join(root, entry.kernel);
        if ((await countSignatures(kernel)) === 0)
          throw errors.unsignedChain(kernel, "is an unsigned kernel");
      }
    }
    await backend.writeMenu(target, menu);
    return { backend: backend.name, entries: menu.entries.length, atomic: backend.isAtomic() };
  });
}

/**
 * Records that entry `id` booted well, ending its probation: GRUB's counter variable is removed,
 * systemd-boot's entry file loses its `+LEFT-DONE` suffix. extlinux entries need nothing (their one
 * try is the ADV once-label); rewrite the menu with the entry as default to keep it.
 */
export async function markBootSuccessful(
  target: BootTarget,
  id: string,
  options: LockedOptions = {},
): Promise<void> {
  await withBootLock(target, options, async () => {
    const component = soleComponent(await readState(target));
    if (component === undefined) throw errors.notInstalled(target.boot);
    if (component.backend === "systemd-boot") await markBlsEntryGood(target, id);
    else if (component.backend === "grub-efi" || component.backend === "grub-bios")
      await markGrubEntryGood(target, grubTriesVar(id));
  });
}

/** Parses a `BootEntries` document (pure); invalid input is BOOT_ENTRIES_INVALID naming the file. */
export function parseBootEntriesDocument(text: string, file: string): BootEntriesDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw errors.invalidEntries(`${file} is not JSON: ${(error as Error).message}`, { path: file });
  }
  const parsed = BootEntriesDocument.safeParse(json);
  if (!parsed.success)
    throw errors.invalidEntries(`${file}: ${z.prettifyError(parsed.error)}`, { path: file });
  return parsed.data;
}

export async function loadBootEntriesDocument(file: string): Promise<BootEntriesDocument> {
  const text = await readFileIfExists(file);
  if (text === undefined) throw errors.invalidEntries(`${file} does not exist`, { path: file });
  return parseBootEntriesDocument(text, file);
}
