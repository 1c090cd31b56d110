import { promises as fs } from "node:fs";
import path from "node:path";
import {
  fsyncDir,
  fsyncFile,
  mkdirDurable,
  pathExists,
  sha256File,
  Transaction,
  type TransactionRecord,
} from "@particle/runtime";
import type { DirPlan } from "./backends/types.js";
import { DirUpdateIntent } from "./spec.js";
import { type BootTarget, rootDir, statePaths } from "./target.js";

/**
 * Atomic per-directory updates of the ESP (and of /boot). vfat has no symlinks and no
 * RENAME_EXCHANGE, so a directory is replaced by: staging a complete new copy beside it
 * (`.NAME.new`, every file and directory fsynced), then renaming the live one to `.NAME.old` and
 * the new one into place, fsyncing the parent, and removing the old copy. Each directory holds the
 * old set or the new set; the journal lets the next command finish a swap that was cut between its
 * two renames (the only instant a directory is absent under its name).
 *
 * Failpoints (PARTICLE_FAILPOINTS): `bootupd-update/begin`, `…/stage:ROOT:DIR` after each directory
 * is staged, `…/swap:ROOT:DIR` after each swap, `…/bootcode`, `…/state`, `…/commit`.
 */
export const UPDATE_OP = "bootupd-update";

function siblings(target: BootTarget, plan: { root: DirPlan["root"]; path: string }) {
  const live = path.join(rootDir(target, plan.root), plan.path);
  const parent = path.dirname(live);
  const base = path.basename(live);
  return { live, parent, next: path.join(parent, `.${base}.new`), old: path.join(parent, `.${base}.old`) };
}

/** Every regular file below `dir`, as paths relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else out.push(child);
    }
  };
  await walk("");
  return out.sort();
}

/** The files a plan puts in place, keyed "root:dir/name", with their hashes. */
export async function planHashes(plans: readonly DirPlan[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const plan of plans) {
    for (const file of plan.files)
      hashes[`${plan.root}:${plan.path}/${file.name}`] = await sha256File(file.source);
  }
  return hashes;
}

/** The files in a target directory now, keyed like `planHashes`. */
export async function dirHashes(
  target: BootTarget,
  plan: { root: DirPlan["root"]; path: string },
): Promise<Record<string, string>> {
  const { live } = siblings(target, plan);
  const hashes: Record<string, string> = {};
  for (const rel of await listFiles(live))
    hashes[`${plan.root}:${plan.path}/${rel}`] = await sha256File(path.join(live, rel));
  return hashes;
}

function sameHashes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

async function stage(target: BootTarget, plan: DirPlan): Promise<void> {
  const { next, parent } = siblings(target, plan);
  await fs.rm(next, { recursive: true, force: true });
  await mkdirDurable(next);
  const dirs = new Set<string>([next]);
  for (const file of plan.files) {
    const dest = path.join(next, file.name);
    if (!dirs.has(path.dirname(dest))) {
      await mkdirDurable(path.dirname(dest));
      dirs.add(path.dirname(dest));
    }
    await fs.copyFile(file.source, dest);
    await fsyncFile(dest);
  }
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await fsyncDir(dir);
  await fsyncDir(parent);
}

async function swap(target: BootTarget, plan: { root: DirPlan["root"]; path: string }): Promise<void> {
  const { live, next, old, parent } = siblings(target, plan);
  await fs.rm(old, { recursive: true, force: true });
  if (await pathExists(live)) await fs.rename(live, old);
  await fs.rename(next, live);
  await fsyncDir(parent);
  await fs.rm(old, { recursive: true, force: true });
  await fsyncDir(parent);
}

export interface DirUpdateResult {
  /** Directories that were replaced ("esp:EFI/BOOT"). */
  readonly changed: string[];
  /** Hashes of every planned file. */
  readonly files: Record<string, string>;
}

/**
 * Brings the target's directories to the plans, in one journaled transaction. `finish` runs before
 * the commit with the transaction open: it writes boot code and the state file, calling `tx.step`.
 */
export async function applyDirPlans(
  target: BootTarget,
  plans: readonly DirPlan[],
  finish: (tx: Transaction, result: DirUpdateResult) => Promise<void>,
): Promise<DirUpdateResult> {
  const files = await planHashes(plans);
  const stale: DirPlan[] = [];
  for (const plan of plans) {
    const wanted = Object.fromEntries(
      Object.entries(files).filter(([k]) => k.startsWith(`${plan.root}:${plan.path}/`)),
    );
    if (!sameHashes(wanted, await dirHashes(target, plan))) stale.push(plan);
  }
  const intent: DirUpdateIntent = { dirs: stale.map((p) => ({ root: p.root, path: p.path })) };
  const tx = await Transaction.begin(statePaths(target).journal, UPDATE_OP, intent);
  for (const plan of stale) {
    await stage(target, plan);
    await tx.step(`stage:${plan.root}:${plan.path}`);
  }
  for (const plan of stale) {
    await swap(target, plan);
    await tx.step(`swap:${plan.root}:${plan.path}`);
  }
  const result = { changed: stale.map((p) => `${p.root}:${p.path}`), files };
  await finish(tx, result);
  await tx.commit();
  return result;
}

/**
 * Recovers an interrupted directory update (idempotent): a swap cut between its renames is
 * completed, staged copies that were never swapped in are dropped (the update that follows stages
 * them again), and old copies are removed. Every directory then holds a complete set.
 */
export async function recoverDirUpdate(target: BootTarget, record: TransactionRecord): Promise<void> {
  const intent = DirUpdateIntent.parse(record.intent);
  for (const dir of intent.dirs) {
    const { live, next, old, parent } = siblings(target, dir);
    const staged = record.steps.includes(`stage:${dir.root}:${dir.path}`);
    if (!(await pathExists(live)) && (await pathExists(old))) {
      await fs.rename(staged && (await pathExists(next)) ? next : old, live);
    }
    await fs.rm(next, { recursive: true, force: true });
    await fs.rm(old, { recursive: true, force: true });
    if (await pathExists(parent)) await fsyncDir(parent);
  }
}
