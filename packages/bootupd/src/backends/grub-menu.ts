import path from "node:path";
import { mkdirDurable, readFileIfExists, writeFileAtomic } from "@particle/runtime";
import type { Menu } from "../entries.js";
import { GRUB_MENU_DIR, nextGrubEnv, renderGrubConfig } from "../menu/grub-cfg.js";
import { formatGrubEnv, parseGrubEnv } from "../menu/grubenv.js";
import type { BootTarget } from "../target.js";

/** Where GRUB's generated menu and environment block live on the boot filesystem. */
export function grubMenuPaths(target: BootTarget) {
  const dir = path.join(target.boot, GRUB_MENU_DIR);
  return { dir, config: path.join(dir, "grub.cfg"), env: path.join(dir, "grubenv") };
}

/**
 * Writes grubenv, then grub.cfg, each with one rename: the menu switches in one rename, and the
 * environment it reads is in place before it (the old menu ignores variables it does not name).
 */
export async function writeGrubMenu(target: BootTarget, menu: Menu): Promise<void> {
  const paths = grubMenuPaths(target);
  await mkdirDurable(paths.dir);
  const current = parseGrubEnv((await readFileIfExists(paths.env)) ?? "");
  await writeFileAtomic(paths.env, formatGrubEnv(nextGrubEnv(menu, current)));
  await writeFileAtomic(paths.config, renderGrubConfig(menu));
}

/** Marks an entry's boot as good: its counter goes, so GRUB no longer counts it down. */
export async function markGrubEntryGood(target: BootTarget, variable: string): Promise<void> {
  const paths = grubMenuPaths(target);
  const current = parseGrubEnv((await readFileIfExists(paths.env)) ?? "");
  if (!(variable in current)) return;
  const { [variable]: _removed, ...rest } = current;
  await writeFileAtomic(paths.env, formatGrubEnv(rest));
}
