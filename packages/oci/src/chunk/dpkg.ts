import { promises as fs } from "node:fs";
import path from "node:path";
import { decodeName, pathBytes } from "../tar/name.js";

/**
 * Which dpkg package owns each path of an image, from var/lib/dpkg/info/*.list. Listed paths are
 * as the .deb ships them (/bin/ls); on a merged-/usr image the file lives at usr/bin/ls, so
 * directories are resolved through the image's own symlinks (absolute targets inside the image).
 */

/** Package name from a .list file name: `libc6:amd64.list` → `libc6` (pure). */
export function packageOfListFile(file: string): string | undefined {
  if (!file.endsWith(".list")) return undefined;
  return file.slice(0, -".list".length).split(":")[0];
}

/** Resolves directory symlinks of an image path inside `root` (never leaves it). */
export function directoryResolver(root: string): (relative: string) => Promise<string> {
  const cache = new Map<string, string>([["", ""]]);
  const resolveDir = async (dir: string, depth: number): Promise<string> => {
    const cached = cache.get(dir);
    if (cached !== undefined) return cached;
    if (depth > 40) return dir;
    const parent = await resolveDir(
      path.posix.dirname(dir) === "." ? "" : path.posix.dirname(dir),
      depth + 1,
    );
    const here = parent === "" ? path.posix.basename(dir) : `${parent}/${path.posix.basename(dir)}`;
    let resolved = here;
    const target = await fs
      .readlink(pathBytes(root, here), { encoding: "buffer" })
      .then(decodeName, () => undefined);
    if (target !== undefined) {
      const joined = target.startsWith("/") ? target.slice(1) : path.posix.join(parent, target);
      const normal = path.posix.normalize(joined).replace(/^(\.\.\/)+|^\.\.$/, "");
      resolved = normal === "." ? "" : await resolveDir(normal, depth + 1);
    }
    cache.set(dir, resolved);
    return resolved;
  };
  return async (relative) => {
    const dir = path.posix.dirname(relative);
    const base = path.posix.basename(relative);
    const resolvedDir = await resolveDir(dir === "." ? "" : dir, 0);
    return resolvedDir === "" ? base : `${resolvedDir}/${base}`;
  };
}

/** path (relative, as on disk) → owning package; the first package by name wins a shared path. */
export async function readPackageOwners(root: string): Promise<Map<string, string>> {
  const infoDir = path.join(root, "var/lib/dpkg/info");
  const files = (await fs.readdir(infoDir).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".list"))
    .sort();
  const resolve = directoryResolver(root);
  const owners = new Map<string, string>();
  for (const file of files) {
    const pkg = packageOfListFile(file) as string;
    // Listed names are bytes like the files themselves (name.ts).
    const data = await fs.readFile(path.join(infoDir, file));
    for (let start = 0; start < data.length; ) {
      const end = data.indexOf(0x0a, start) === -1 ? data.length : data.indexOf(0x0a, start);
      const listed = decodeName(data.subarray(start, end)).replace(/^\/+/, "");
      start = end + 1;
      if (listed === "" || listed === ".") continue;
      const actual = await resolve(listed);
      if (!owners.has(actual)) owners.set(actual, pkg);
    }
  }
  return owners;
}
