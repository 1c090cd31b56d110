import type { Stats } from "node:fs";
import { promises as fs } from "node:fs";
import path from "node:path";
import { ifExists, run, sha256File } from "@particle/runtime";
import { type EtcEntry, type EtcMergePlan, planEtcMerge, type UpperEntry } from "./merge-plan.js";

/** Reads one path of a tree as an EtcEntry (files are hashed), or undefined when absent. */
async function entryAt(file: string, stat?: Stats): Promise<EtcEntry | undefined> {
  let st = stat;
  if (st === undefined) {
    st = await ifExists(fs.lstat(file));
    if (st === undefined) return undefined;
  }
  const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (st.isFile()) return { type: "file", ...meta, hash: await sha256File(file) };
  if (st.isDirectory()) return { type: "dir", ...meta };
  if (st.isSymbolicLink()) return { type: "symlink", ...meta, target: await fs.readlink(file) };
  return { type: "other", ...meta, rdev: st.rdev };
}

/** Directories of `dir` (recursively) carrying trusted.overlay.opaque=y, relative to `dir`. */
async function opaqueDirs(dir: string): Promise<Set<string>> {
  const { stdout } = await run("getfattr", [
    "--recursive",
    "--absolute-names",
    "--physical",
    "--match=^trusted\\.overlay\\.opaque$",
    "--dump",
    dir,
  ]);
  const found = new Set<string>();
  let current: string | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("# file: ")) current = line.slice(8);
    else if (current !== undefined && /^trusted\.overlay\.opaque="?y"?$/.test(line))
      found.add(path.relative(dir, current));
  }
  return found;
}

/** Every entry of an overlay upper directory: local additions, changes, whiteouts, opaque directories. */
export async function scanUpper(upper: string): Promise<Map<string, UpperEntry>> {
  const entries = new Map<string, UpperEntry>();
  const opaque = await opaqueDirs(upper);
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(upper, rel))).sort()) {
      const child = rel === "" ? name : `${rel}/${name}`;
      const file = path.join(upper, child);
      const st = await fs.lstat(file);
      if (st.isCharacterDevice() && st.rdev === 0) {
        entries.set(child, { type: "whiteout" });
        continue;
      }
      const entry = (await entryAt(file, st)) as EtcEntry;
      entries.set(child, entry.type === "dir" && opaque.has(child) ? { ...entry, opaque: true } : entry);
      if (st.isDirectory()) await walk(child);
    }
  };
  await walk("");
  return entries;
}

/** The entries of `etcDir` at the given relative paths. */
async function entriesAt(etcDir: string, paths: Iterable<string>): Promise<Map<string, EtcEntry>> {
  const found = new Map<string, EtcEntry>();
  for (const rel of paths) {
    const entry = await entryAt(path.join(etcDir, rel));
    if (entry !== undefined) found.set(rel, entry);
  }
  return found;
}

/** Plans the merge of `oldUpper` (the local changes over `oldEtc`) onto `newEtc`. */
export async function planEtcMergeOnDisk(
  oldEtc: string,
  oldUpper: string,
  newEtc: string,
): Promise<EtcMergePlan> {
  const local = await scanUpper(oldUpper);
  return planEtcMerge({
    local,
    base: await entriesAt(oldEtc, local.keys()),
    upstream: await entriesAt(newEtc, local.keys()),
  });
}

/**
 * Writes the planned entries into `newUpper` (an empty directory, not yet mounted): copies keep mode,
 * owner, times and xattrs (`cp -a`); parents are created as they are in the old upper.
 */
export async function applyEtcMerge(plan: EtcMergePlan, oldUpper: string, newUpper: string): Promise<void> {
  const copies: string[] = [];
  for (const step of plan.steps) {
    const source = path.join(oldUpper, step.path);
    const target = path.join(newUpper, step.path);
    if (step.action === "whiteout") {
      await copyParents(oldUpper, newUpper, step.path);
      await run("mknod", [target, "c", "0", "0"]);
    } else if ((await fs.lstat(source)).isDirectory() && step.change !== "replaced-tree") {
      await copyParents(oldUpper, newUpper, step.path);
      await fs.mkdir(target, { recursive: true });
      const st = await fs.lstat(source);
      await fs.chown(target, st.uid, st.gid);
      await fs.chmod(target, st.mode & 0o7777);
    } else {
      copies.push(step.path);
    }
  }
  // One cp for all files (in argument chunks): --parents recreates the directories with their metadata.
  for (let i = 0; i < copies.length; i += 500) {
    await run("cp", ["-a", "--no-dereference", "--parents", "--", ...copies.slice(i, i + 500), newUpper], {
      cwd: oldUpper,
    });
  }
}

/** Creates the missing parents of `rel` in `to`, copying each one's metadata from `from`. */
async function copyParents(from: string, to: string, rel: string): Promise<void> {
  const parts = path
    .dirname(rel)
    .split("/")
    .filter((p) => p !== ".");
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join("/");
    const target = path.join(to, sub);
    try {
      await fs.mkdir(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    const st = await fs.lstat(path.join(from, sub));
    await fs.chown(target, st.uid, st.gid);
    await fs.chmod(target, st.mode & 0o7777);
  }
}
