import { promises as fs } from "node:fs";
import path from "node:path";
import {
  API_VERSION,
  failpoint,
  fsyncDir,
  readFileIfExists,
  renameDurable,
  Transaction,
  type TransactionRecord,
  writeFileAtomic,
  writeJsonAtomic,
} from "@particle/runtime";
import { BootcErrors } from "../errors.js";
import { type BootEntry, BootEntrySet } from "../spec.js";
import type { SysrootLayout } from "../sysroot/layout.js";

/**
 * The boot entry set: `particle/boot/entries` is a symlink to `entries.<generation>`, a directory with
 * state.json (the ordered entries) and what GRUB reads (grub/grub.cfg, grub/grubenv), rendered by
 * the renderers. A new set is written beside the old one and made current by one rename of the
 * symlink, so a crash at any instant leaves the old set or the new one. systemd-boot reads its
 * entries from the ESP instead: a publisher writes them there and makes its own atomic switch just
 * before that rename, journaled so that the two always end up agreeing.
 */

/**
 * Renders the files a bootloader reads for a set, keyed by path relative to the set's directory (pure).
 * GRUB's renderer writes `grub/grub.cfg` and `grub/grubenv`; the boot filesystem's `/grub` is a
 * symlink to `particle/boot/entries/grub`, so the menu and its boot counter switch with the set.
 */
export type BootConfigRenderer = (set: BootEntrySet) => Record<string, string>;

/**
 * A bootloader whose files cannot live in the set's directory: systemd-boot reads only the ESP (FAT:
 * no symlinks, no directory swap). Its own switch is one atomic step made after the set's directory is
 * complete and before the `entries` rename; the journal op `bootc.entries` lets the next command finish
 * a set whose switch happened, or undo one whose switch did not (`recoverEntrySet`). Implemented by
 * systemd-boot-publisher.ts.
 */
export interface BootEntryPublisher {
  /** Writes what `set` needs before its switch (kernels); what the bootloader boots is unchanged. */
  prepare(set: BootEntrySet): Promise<void>;
  /** The one atomic step after which the bootloader boots `set`'s default. */
  switch(set: BootEntrySet): Promise<void>;
  /** Whether `set`'s switch happened. */
  switched(set: BootEntrySet): Promise<boolean>;
  /** Completes `set` (its other entries) and removes what other sets left; `undefined`: there is no set. */
  finish(set: BootEntrySet | undefined): Promise<void>;
}

/** What a sysroot writes with every entry set: rendered files in the set, or a publisher's own files. */
export type BootConfigWriter = BootConfigRenderer | BootEntryPublisher;

/** The journal op of an entry set switch that has a publisher. */
export const ENTRIES_OP = "bootc.entries";

function split(writers: readonly BootConfigWriter[]) {
  return {
    renderers: writers.filter((w): w is BootConfigRenderer => typeof w === "function"),
    publishers: writers.filter((w): w is BootEntryPublisher => typeof w !== "function"),
  };
}

async function readSet(dir: string): Promise<BootEntrySet | undefined> {
  const text = await readFileIfExists(path.join(dir, "state.json"));
  return text === undefined ? undefined : BootEntrySet.parse(JSON.parse(text));
}

export async function readEntrySet(layout: SysrootLayout): Promise<BootEntrySet | undefined> {
  return readSet(layout.entries);
}

export interface NewEntrySet {
  readonly entries: readonly BootEntry[];
  readonly trial?: BootEntrySet["trial"];
}

/** Writes the next generation and switches to it atomically. Returns the set now current. */
export async function commitEntrySet(
  layout: SysrootLayout,
  next: NewEntrySet,
  writers: readonly BootConfigWriter[],
): Promise<BootEntrySet> {
  const { renderers, publishers } = split(writers);
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
  const tx =
    publishers.length > 0 ? await Transaction.begin(layout.journal, ENTRIES_OP, { generation }) : undefined;
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
  for (const publisher of publishers) await publisher.prepare(set);
  await tx?.step("prepared");
  for (const publisher of publishers) await publisher.switch(set);
  await tx?.step("published");
  await switchLink(layout, generation);
  failpoint("bootc.entries/switched");
  await pruneEntrySets(layout, generation);
  for (const publisher of publishers) await publisher.finish(set);
  await tx?.commit();
  return set;
}

/** Makes `entries.<generation>` the current set: one rename of the `entries` symlink. */
async function switchLink(layout: SysrootLayout, generation: number): Promise<void> {
  const link = path.join(layout.bootRoot, `.entries.${generation}.link`);
  await fs.rm(link, { force: true });
  await fs.symlink(path.basename(layout.entrySet(generation)), link);
  await renameDurable(link, layout.entries);
}

/**
 * Finishes an interrupted `bootc.entries` switch: when the publishers' switch happened, the machine
 * already boots the new set, so the `entries` rename is made too; otherwise the new set is undone.
 * Either way the publishers then hold exactly the current set.
 */
export async function recoverEntrySet(
  layout: SysrootLayout,
  writers: readonly BootConfigWriter[],
  record: TransactionRecord,
): Promise<void> {
  const { publishers } = split(writers);
  if (publishers.length === 0) throw BootcErrors.espNeeded("finish an interrupted boot entry switch");
  const generation = Number(record.intent.generation);
  let keep = await readEntrySet(layout);
  if (keep?.generation !== generation) {
    const pending = await readSet(layout.entrySet(generation));
    let switched = pending !== undefined;
    for (const publisher of publishers)
      switched &&= pending !== undefined && (await publisher.switched(pending));
    if (switched && pending) {
      await switchLink(layout, generation);
      keep = pending;
    }
  }
  await pruneEntrySets(layout, keep?.generation ?? 0);
  for (const publisher of publishers) await publisher.finish(keep);
}

/** Removes the directories of sets other than the current one (leftovers of older switches or crashes). */
async function pruneEntrySets(layout: SysrootLayout, keep: number): Promise<void> {
  for (const name of await fs.readdir(layout.bootRoot)) {
    const match = /^\.?entries\.(\d+)(\.link)?$/.exec(name);
    if (match && Number(match[1]) !== keep)
      await fs.rm(path.join(layout.bootRoot, name), { recursive: true, force: true });
  }
}
