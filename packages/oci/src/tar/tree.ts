import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { run } from "@particle/runtime";
import { type EntryType, splitRdev, type TarEntry } from "./entry.js";
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
      result.set(Buffer.from(bytes).toString("utf8"), current);
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
  const { stdout } = await run("getfattr", [
    "--absolute-names",
    "-R",
    "-P",
    "-h",
    "-d",
    "-m",
    "-",
    "-e",
    "hex",
    root,
  ]);
  const byAbsolute = parseGetfattrDump(stdout);
  const result = new Map<string, Record<string, Buffer>>();
  for (const [abs, attrs] of byAbsolute) result.set(path.relative(root, abs), attrs);
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

export interface ReadTreeOptions {
  /** Only paths for which this returns true (directories are always walked). */
  readonly include?: (relativePath: string, type: EntryType) => boolean;
  /** Overrides every mtime (SOURCE_DATE_EPOCH style clamping). */
  readonly mtime?: number;
}

/** Walks `root` depth-first in byte order of names, yielding tar items (the root itself is not one). */
export async function* readTree(root: string, options: ReadTreeOptions = {}): AsyncGenerator<TarItem> {
  const xattrs = await readXattrs(root);
  const links = new Map<string, string>();
  async function* walk(dir: string): AsyncGenerator<TarItem> {
    const names = (await fs.readdir(path.join(root, dir))).sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    for (const name of names) {
      const rel = dir === "" ? name : `${dir}/${name}`;
      const abs = path.join(root, rel);
      const stat = await fs.lstat(abs, { bigint: true });
      const type = entryType(stat);
      if (type === undefined) continue;
      const wanted = options.include?.(rel, type) ?? true;
      if (wanted) {
        const { major, minor } = splitRdev(stat.rdev);
        const base: TarEntry = {
          path: rel,
          type,
          mode: Number(stat.mode & 0o7777n),
          uid: Number(stat.uid),
          gid: Number(stat.gid),
          mtime: options.mtime ?? Number(stat.mtimeMs / 1000n),
          size: type === "file" ? Number(stat.size) : 0,
          linkname: type === "symlink" ? await fs.readlink(abs) : undefined,
          devmajor: type === "char" || type === "block" ? major : 0,
          devminor: type === "char" || type === "block" ? minor : 0,
          xattrs: xattrs.get(rel) ?? {},
        };
        const key = `${stat.dev}:${stat.ino}`;
        const first = type === "file" && stat.nlink > 1n ? links.get(key) : undefined;
        if (first !== undefined) {
          yield { entry: { ...base, type: "hardlink", size: 0, linkname: first }, body: Readable.from([]) };
        } else {
          if (type === "file" && stat.nlink > 1n) links.set(key, rel);
          yield { entry: base, body: type === "file" ? createReadStream(abs) : Readable.from([]) };
        }
      }
      if (type === "directory") yield* walk(rel);
    }
  }
  yield* walk("");
}
