import { promises as fs } from "node:fs";
import path from "node:path";
import {
  failpoint,
  fsyncDir,
  readFileIfExists,
  renameDurable,
  writeFileAtomic,
  writeJsonAtomic,
} from "@particle/runtime";
import type { SysrootLayout } from "./layout.js";
import { API_VERSION, type BootEntry, BootEntrySet } from "./spec.js";

/**
 * The boot entry set: `particle/boot/entries` is a symlink to `entries.<generation>`, a directory with
 * state.json (the ordered entries) and whatever the bootloader reads (grub.cfg, loader/entries/*.conf),
 * rendered by the bootloader backends. A new set is written beside the old one and made current by
 * one rename of the symlink, so a crash at any instant leaves the old set or the new one.
 */

/**
 * Renders the files a bootloader reads for a set, keyed by path relative to the set's directory (pure).
 * GRUB's renderer writes `grub/grub.cfg` and `grub/grubenv`; the boot filesystem's `/grub` is a
 * symlink to `particle/boot/entries/grub`, so the menu and its boot counter switch with the set.
 */
export type BootConfigRenderer = (set: BootEntrySet) => Record<string, string>;

export async function readEntrySet(layout: SysrootLayout): Promise<BootEntrySet | undefined> {
  const text = await readFileIfExists(path.join(layout.entries, "state.json"));
  return text === undefined ? undefined : BootEntrySet.parse(JSON.parse(text));
}

export interface NewEntrySet {
  readonly entries: readonly BootEntry[];
  readonly trial?: BootEntrySet["trial"];
}

/** Writes the next generation and switches to it atomically. Returns the set now current. */
export async function commitEntrySet(
  layout: SysrootLayout,
  next: NewEntrySet,
  renderers: readonly BootConfigRenderer[],
): Promise<BootEntrySet> {
  const current = await readEntrySet(layout);
  const generation = (current?.generation ?? 0) + 1;
  const set = BootEntrySet.parse({
    apiVersion: API_VERSION,
    kind: "BootEntrySet",
    generation,
    entries: next.entries,
    ...(next.trial ? { trial: next.trial } : {}),
  });
  const dir = layout.entrySet(generation);
  await fs.rm(dir, { recursive: true, force: true }); // a leftover of a crash before the switch
  await fs.mkdir(dir, { recursive: true });
  for (const render of renderers) {
    for (const [rel, text] of Object.entries(render(set))) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFileAtomic(path.join(dir, rel), text);
    }
  }
  await writeJsonAtomic(path.join(dir, "state.json"), set);
  await fsyncDir(layout.bootRoot);
  failpoint("bootc.entries/written");
  const link = path.join(layout.bootRoot, `.entries.${generation}.link`);
  await fs.rm(link, { force: true });
  await fs.symlink(path.basename(dir), link);
  await renameDurable(link, layout.entries);
  failpoint("bootc.entries/switched");
  await pruneEntrySets(layout, generation);
  return set;
}

/** Removes the directories of sets other than the current one (leftovers of older switches or crashes). */
async function pruneEntrySets(layout: SysrootLayout, keep: number): Promise<void> {
  for (const name of await fs.readdir(layout.bootRoot)) {
    const match = /^\.?entries\.(\d+)(\.link)?$/.exec(name);
    if (match && Number(match[1]) !== keep)
      await fs.rm(path.join(layout.bootRoot, name), { recursive: true, force: true });
  }
}
