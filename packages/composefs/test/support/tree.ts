import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { sha256File } from "@particle/runtime";

/** What a tree comparison looks at for one path. */
export interface TreeEntry {
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly size?: number;
  readonly rdev?: number;
  readonly target?: string;
  readonly sha256?: string;
  readonly xattrs: Record<string, string>;
  /** Other paths that are hardlinks of this one. */
  readonly links?: string[];
}

function typeOf(stat: import("node:fs").Stats): string {
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "dir";
  if (stat.isSymbolicLink()) return "symlink";
  if (stat.isCharacterDevice()) return "char";
  if (stat.isBlockDevice()) return "block";
  if (stat.isFIFO()) return "fifo";
  return "socket";
}

/**
 * Every xattr of every path below `root` (getfattr, hex values), by relative path. A squashfs image
 * without any xattr answers listxattr with EOPNOTSUPP instead of an empty list: that means "none".
 */
async function xattrsOf(root: string): Promise<Map<string, Record<string, string>>> {
  const { stdout, stderr } = await promisify(execFile)(
    "getfattr",
    ["--dump", "--match=-", "--no-dereference", "--absolute-names", "--encoding=hex", "--recursive", root],
    { maxBuffer: 1 << 30 },
  ).catch((error: { stdout: string; stderr: string }) => error);
  const failures = stderr.split("\n").filter((l) => l.trim() && !l.endsWith(": Operation not supported"));
  if (failures.length > 0) throw new Error(`getfattr failed: ${failures.slice(0, 5).join("; ")}`);
  const result = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("# file: ")) {
      current = {};
      const rel = path.relative(root, line.slice("# file: ".length)) || ".";
      result.set(rel, current);
    } else if (current && line.includes("=")) {
      const eq = line.indexOf("=");
      current[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return result;
}

/** A comparable description of a tree: paths, types, modes, owners, times, xattrs, content hashes, hardlinks. */
export async function describeTree(
  root: string,
  options: { exclude?: readonly string[] } = {},
): Promise<Map<string, TreeEntry>> {
  const xattrs = await xattrsOf(root);
  const entries = new Map<string, TreeEntry>();
  const inodes = new Map<string, string[]>();
  const excluded = new Set(options.exclude ?? []);
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const stat = await fs.lstat(abs);
    const type = typeOf(stat);
    const entry: TreeEntry = {
      type,
      mode: stat.mode & 0o7777,
      uid: stat.uid,
      gid: stat.gid,
      mtime: Math.floor(stat.mtimeMs / 1000),
      xattrs: xattrs.get(rel) ?? {},
      ...(type === "file" ? { size: stat.size, sha256: await sha256File(abs) } : {}),
      ...(type === "char" || type === "block" ? { rdev: stat.rdev } : {}),
      ...(type === "symlink" ? { target: await fs.readlink(abs) } : {}),
    };
    entries.set(rel, entry);
    if (type !== "dir" && stat.nlink > 1) {
      const key = `${stat.dev}:${stat.ino}`;
      inodes.set(key, [...(inodes.get(key) ?? []), rel]);
    }
    if (type === "dir") {
      for (const name of (await fs.readdir(abs)).sort()) {
        const child = rel === "." ? name : path.join(rel, name);
        if (!excluded.has(child)) await walk(child);
      }
    }
  };
  await walk(".");
  for (const group of inodes.values()) {
    for (const p of group) {
      const entry = entries.get(p);
      if (entry) entries.set(p, { ...entry, links: group.filter((o) => o !== p).sort() });
    }
  }
  return entries;
}

/** Differences between two described trees, as readable lines (empty when equal). */
export function diffTrees(a: Map<string, TreeEntry>, b: Map<string, TreeEntry>): string[] {
  const diffs: string[] = [];
  for (const [p, entry] of a) {
    const other = b.get(p);
    if (other === undefined) diffs.push(`only in first: ${p}`);
    else if (JSON.stringify(entry) !== JSON.stringify(other))
      diffs.push(`differs: ${p}: ${JSON.stringify(entry)} != ${JSON.stringify(other)}`);
  }
  for (const p of b.keys()) if (!a.has(p)) diffs.push(`only in second: ${p}`);
  return diffs;
}
