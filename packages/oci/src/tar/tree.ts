import { execFile } from "node:child_process";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { ParticleError } from "@particle/runtime";
import { type EntryType, splitRdev, type TarEntry } from "./entry.js";
import { decodeName, pathBytes } from "./name.js";
import type { TarItem } from "./read.js";

/**
 * Reads a directory tree (a mounted layer) as tar entries: sorted by name (reproducible), hardlinks
 * of regular files as `hardlink` entries, devices with their numbers, xattrs byte for byte.
 */

/** Parses `getfattr -d -m - -e hex` output into path → xattrs (pure). */
export function parseGetfattrDump(text: string): Map<string, Record<string, Buffer>> {
  const result = new Map<string, Record<string, Buffer>>();
  let current: Record<string, Buffer> | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("# file: ")) {
      const raw = line.slice("# file: ".length);
      const bytes: number[] = [];
      for (let i = 0; i < raw.length; i++) {
        const m = raw[i] === "\\" ? /^\\([0-7]{3})/.exec(raw.slice(i)) : null;
        if (m) {
          bytes.push(Number.parseInt(m[1] as string, 8));
          i += 3;
        } else bytes.push(...Buffer.from(raw[i] as string, "utf8"));
      }
      current = {};
      result.set(decodeName(Buffer.from(bytes)), current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current === undefined || eq <= 0) continue;
    const value = line.slice(eq + 1);
    current[line.slice(0, eq)] = value.startsWith("0x")
      ? Buffer.from(value.slice(2), "hex")
      : value.startsWith("0s")
        ? Buffer.from(value.slice(2), "base64")
        : Buffer.from(value.replace(/^"|"$/g, ""), "utf8");
  }
  return result;
}

/** Every xattr below `root`, keyed by path relative to it ("" for the root). */
async function readXattrs(root: string): Promise<Map<string, Record<string, Buffer>>> {
  // -P: walk without following symlinks; -h: read a symlink's own attributes.
  const args = ["--absolute-names", "-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", root];
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>(
    (resolve, reject) => {
      execFile("getfattr", args, { maxBuffer: 1 << 30 }, (error, out, err) => {
        const exit = (error as { code?: unknown } | null)?.code;
        if (error && typeof exit !== "number") reject(error);
        else resolve({ stdout: out, stderr: err, code: typeof exit === "number" ? exit : 0 });
      });
    },
  );
  // Overlayfs answers ENOTSUP for some files; those have no xattrs to export. Anything else fails.
  const problems = stderr
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.includes("Operation not supported"));
  if (code !== 0 && problems.length > 0) {
    throw new ParticleError({
      code: "EXEC_FAILED",
      message: `getfattr failed: ${problems[0]}`,
      context: { command: `getfattr ${args.join(" ")}` },
    });
  }
  const byAbsolute = parseGetfattrDump(stdout);
  const result = new Map<string, Record<string, Buffer>>();
  const prefix = `${root.replace(/\/+$/, "")}/`;
  for (const [abs, attrs] of byAbsolute)
    result.set(
      abs === root || `${abs}/` === prefix
        ? ""
        : abs.startsWith(prefix)
          ? abs.slice(prefix.length)
          : path.relative(root, abs),
      attrs,
    );
  return result;
}

function entryType(stat: import("node:fs").BigIntStats): EntryType | undefined {
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "directory";
  if (stat.isSymbolicLink()) return "symlink";
  if (stat.isCharacterDevice()) return "char";
  if (stat.isBlockDevice()) return "block";
  if (stat.isFIFO()) return "fifo";
  return undefined; // sockets are not stored in images
}

export interface ScanOptions {
  /** Overrides every mtime (SOURCE_DATE_EPOCH style clamping). */
  readonly mtime?: number;
}

/**
 * Lists a tree's entries (metadata only) depth-first in byte order of names; the root itself is
 * not an entry. A regular file with several links appears once as a file, then as hardlinks.
 */
export async function scanTree(root: string, options: ScanOptions = {}): Promise<TarEntry[]> {
  const xattrs = await readXattrs(root);
  const links = new Map<string, string>();
  const entries: TarEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    // Names as bytes, in byte order: a name that is not UTF-8 survives (name.ts).
    const names = (await fs.readdir(pathBytes(root, dir), { encoding: "buffer" })).sort(Buffer.compare);
    for (const raw of names) {
      const name = decodeName(raw);
      const rel = dir === "" ? name : `${dir}/${name}`;
      const abs = pathBytes(root, rel);
      const stat = await fs.lstat(abs, { bigint: true });
      const type = entryType(stat);
      if (type === undefined) continue;
      const { major, minor } = splitRdev(stat.rdev);
      const entry: TarEntry = {
        path: rel,
        type,
        mode: Number(stat.mode & 0o7777n),
        uid: Number(stat.uid),
        gid: Number(stat.gid),
        mtime: options.mtime ?? Number(stat.mtimeMs / 1000n),
        size: type === "file" ? Number(stat.size) : 0,
        linkname: type === "symlink" ? decodeName(await fs.readlink(abs, { encoding: "buffer" })) : undefined,
        devmajor: type === "char" || type === "block" ? major : 0,
        devminor: type === "char" || type === "block" ? minor : 0,
        xattrs: xattrs.get(rel) ?? {},
      };
      const key = `${stat.dev}:${stat.ino}`;
      const first = type === "file" && stat.nlink > 1n ? links.get(key) : undefined;
      if (first !== undefined) entries.push({ ...entry, type: "hardlink", size: 0, linkname: first });
      else {
        if (type === "file" && stat.nlink > 1n) links.set(key, rel);
        entries.push(entry);
      }
      if (type === "directory") await walk(rel);
    }
  };
  await walk("");
  return entries;
}

/**
 * Yields tar items for some of a scanned tree's entries, opening file contents as they are read.
 * A hardlink whose target is not among them becomes a copy of the file, so a subset is a
 * complete layer on its own.
 */
export async function* treeItems(
  root: string,
  entries: Iterable<TarEntry>,
  all?: ReadonlyMap<string, TarEntry>,
): AsyncGenerator<TarItem> {
  const emitted = new Set<string>();
  for (let entry of entries) {
    if (entry.type === "hardlink" && !emitted.has(entry.linkname ?? "")) {
      const target = all?.get(entry.linkname ?? "");
      if (!target)
        throw new ParticleError({
          code: "INTERNAL",
          message: `hardlink ${entry.path} -> ${entry.linkname}: target not in the scanned tree`,
        });
      entry = { ...target, path: entry.path };
    }
    emitted.add(entry.path);
    yield {
      entry,
      body: entry.type === "file" ? createReadStream(pathBytes(root, entry.path)) : Readable.from([]),
    };
  }
}

/** scanTree + treeItems for a whole tree. */
export async function* readTree(root: string, options: ScanOptions = {}): AsyncGenerator<TarItem> {
  yield* treeItems(root, await scanTree(root, options));
}
