import { promises as fs } from "node:fs";
import path from "node:path";
import { run } from "@particle/runtime";

/**
 * Layer hygiene: removes from an overlay upper what must not travel in a layer: apt's lists and
 * caches, logs, backups of dpkg's and debconf's databases, machine identity (machine-id, D-Bus id,
 * SSH host keys, random seed) and temporary files. It works on the upper directory after the overlay is
 * unmounted: deleting an upper entry reveals the base's version again, so a log the build appended to
 * reverts to the base's and no whiteout is made.
 */

/** Paths (relative to the root) removed entirely from the upper. */
const REMOVE = [
  "var/cache/apt/pkgcache.bin",
  "var/cache/apt/srcpkgcache.bin",
  "var/cache/ldconfig/aux-cache",
  "var/lib/dpkg/status-old",
  "var/lib/dpkg/diversions-old",
  "var/lib/dpkg/statoverride-old",
  "var/cache/debconf/config.dat-old",
  "var/cache/debconf/templates.dat-old",
  "var/cache/debconf/passwords.dat-old",
  "var/lib/dbus/machine-id",
  "var/lib/systemd/random-seed",
  "etc/shadow-",
  "etc/gshadow-",
  "etc/passwd-",
  "etc/group-",
  "etc/subuid-",
  "etc/subgid-",
  "root/.bash_history",
  "usr/sbin/policy-rc.d",
];

/** Directories whose files are removed from the upper (the directories themselves stay: packages own them). */
const EMPTY_FILES_IN = ["var/log", "var/cache/apt/archives", "var/lib/apt/lists"];

/** Directories whose whole content is removed from the upper. */
const EMPTY_ALL_IN = ["tmp", "var/tmp", "run", "dev", "proc", "sys"];

export interface HygieneReport {
  readonly removed: string[];
}

/** Absent (ENOENT, or a parent that is not a directory) is normal in an upper; anything else is a real failure. */
function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function lstat(p: string) {
  return fs.lstat(p).catch((error: unknown) => {
    if (isAbsent(error)) return undefined;
    throw error;
  });
}

async function readdirIfPresent(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch((error: unknown) => {
    if (isAbsent(error)) return [];
    throw error;
  });
}

/** A whiteout (char device 0:0) records a deletion that must stay in the layer. */
function isWhiteout(stat: Awaited<ReturnType<typeof fs.lstat>>): boolean {
  return stat.isCharacterDevice() && Number(stat.rdev) === 0;
}

async function removeFilesBelow(upper: string, rel: string, removed: string[]): Promise<void> {
  const dir = path.join(upper, rel);
  for (const name of (await readdirIfPresent(dir)).sort()) {
    const child = path.join(dir, name);
    const stat = await lstat(child);
    if (!stat || isWhiteout(stat)) continue;
    if (stat.isDirectory()) await removeFilesBelow(upper, path.join(rel, name), removed);
    else {
      await fs.rm(child, { force: true });
      removed.push(path.join(rel, name));
    }
  }
}

export async function cleanUpper(upper: string): Promise<HygieneReport> {
  const removed: string[] = [];
  for (const rel of REMOVE) {
    const stat = await lstat(path.join(upper, rel));
    if (stat && !isWhiteout(stat)) {
      await fs.rm(path.join(upper, rel), { recursive: true, force: true });
      removed.push(rel);
    }
  }
  for (const rel of EMPTY_FILES_IN) await removeFilesBelow(upper, rel, removed);
  for (const rel of EMPTY_ALL_IN) {
    for (const name of await readdirIfPresent(path.join(upper, rel))) {
      await fs.rm(path.join(upper, rel, name), { recursive: true, force: true });
      removed.push(path.join(rel, name));
    }
  }
  // SSH host keys are per machine: a layer must not ship them (the first boot makes new ones).
  for (const name of await readdirIfPresent(path.join(upper, "etc/ssh"))) {
    if (/^ssh_host_.*_key(\.pub)?$/.test(name)) {
      await fs.rm(path.join(upper, "etc/ssh", name), { force: true });
      removed.push(path.join("etc/ssh", name));
    }
  }
  // An empty machine-id makes systemd generate one at first boot; a filled one would be shared by every machine.
  const machineId = path.join(upper, "etc/machine-id");
  const stat = await lstat(machineId);
  if (stat?.isFile() && stat.size > 0) {
    await fs.writeFile(machineId, "");
    removed.push("etc/machine-id");
  }
  await stripOverlayXattrs(upper);
  return { removed };
}

/**
 * Overlayfs keeps private bookkeeping in `trusted.overlay.*` xattrs of the upper (a per-mount uuid,
 * origin file handles, impure markers). They differ between builds of the same inputs and mean
 * nothing in a layer; only `trusted.overlay.opaque` (an opaque directory) is part of the layer's content.
 */
export async function stripOverlayXattrs(upper: string): Promise<void> {
  const { stdout } = await run("getfattr", [
    "--absolute-names",
    "--no-dereference",
    "--physical",
    "--recursive",
    "--match=^trusted\\.overlay\\.",
    upper,
  ]);
  for (const { file, name } of parseGetfattr(stdout)) {
    if (name !== "trusted.overlay.opaque")
      await run("setfattr", ["--no-dereference", "--remove", name, "--", file]);
  }
}

/** Reads `getfattr` output: `# file: PATH` headers followed by `name` or `name=value` lines (pure). */
export function parseGetfattr(text: string): { file: string; name: string }[] {
  const entries: { file: string; name: string }[] = [];
  let file: string | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("# file: "))
      file = line
        .slice(8)
        .replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
    else if (line.trim() && file !== undefined) entries.push({ file, name: line.split("=")[0] as string });
  }
  return entries;
}
