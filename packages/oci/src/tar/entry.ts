import path from "node:path";
import { ociError } from "../errors.js";

export type EntryType = "file" | "directory" | "symlink" | "hardlink" | "char" | "block" | "fifo";

/** One tar entry as an OS image needs it: everything a filesystem records about the file. */
export interface TarEntry {
  /** Relative path without `./`, `/` or a trailing slash ("" is the root directory). */
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname?: string;
  readonly gname?: string;
  /** Seconds since the epoch; fractional when a PAX `mtime` says so. */
  readonly mtime: number;
  /** Bytes of content (regular files only). */
  readonly size: number;
  /** Symlink target, or a hardlink's target path (normalised like `path`). */
  readonly linkname?: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes, values byte for byte (SCHILY.xattr.* records). */
  readonly xattrs: Readonly<Record<string, Buffer>>;
}

export const OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque";

/** A char device 0:0: overlayfs's whiteout. */
export function isOverlayWhiteout(entry: Pick<TarEntry, "type" | "devmajor" | "devminor">): boolean {
  return entry.type === "char" && entry.devmajor === 0 && entry.devminor === 0;
}

/**
 * Normalises an archive path to the relative form of `TarEntry.path`, rejecting what could land
 * outside the root: absolute paths, `..` components, NUL bytes (pure).
 */
export function normalizeEntryPath(raw: string, what: "path" | "hardlink" = "path"): string {
  if (raw.includes("\0"))
    throw ociError("TAR_PATH_INVALID", `tar entry name contains a NUL byte: ${JSON.stringify(raw)}`);
  if (raw === "") throw ociError("TAR_PATH_INVALID", "a tar entry has an empty name");
  // The root itself ("/", as `umoci insert … /` writes it): its metadata is the root's.
  if (what === "path" && raw.split("/").every((p) => p === "" || p === ".")) return "";
  if (raw.startsWith("/")) {
    if (what === "hardlink")
      throw ociError("TAR_HARDLINK_ESCAPE", `hardlink target ${raw} is an absolute path`, {
        context: { target: raw },
      });
    throw ociError("TAR_PATH_ABSOLUTE", `tar entry ${raw} has an absolute path`, { context: { path: raw } });
  }
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    if (what === "hardlink")
      throw ociError("TAR_HARDLINK_ESCAPE", `hardlink target ${raw} climbs out of the root`, {
        context: { target: raw },
      });
    throw ociError("TAR_PATH_TRAVERSAL", `tar entry ${raw} climbs out of the root with '..'`, {
      context: { path: raw },
    });
  }
  return parts.join("/");
}

/** Whether a relative symlink placed at `entryPath` resolves above the root (absolute targets are root-relative and allowed). */
export function symlinkEscapes(entryPath: string, target: string): boolean {
  if (target.startsWith("/")) return false;
  // Walk the components: path.normalize would clamp '..' at the root and hide the escape.
  let depth = path.posix.dirname(`/${entryPath}`).split("/").filter(Boolean).length;
  for (const part of target.split("/")) {
    if (part === "..") depth--;
    else if (part !== "." && part !== "") depth++;
    if (depth < 0) return true;
  }
  return false;
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor), for lstat's rdev. */
export function splitRdev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** Linux's XATTR_NAME_MAX and XATTR_SIZE_MAX. */
const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 64 * 1024;
const XATTR_NAME = /^(?:(?:user|trusted|security)\.[\x21-\x7e]+|system\.posix_acl_(?:access|default))$/;

/**
 * Refuses an extended attribute that a layer must not carry (pure): a name outside the namespaces
 * an image uses, or with bytes that are not printable ASCII (a newline once let a name rewrite
 * the input of `setfattr --restore`), or a name or value longer than the kernel takes.
 */
export function checkXattr(entryPath: string, name: string, value: Buffer): void {
  if (!XATTR_NAME.test(name) || Buffer.byteLength(name) > XATTR_NAME_MAX)
    throw ociError(
      "TAR_XATTR_INVALID",
      `tar entry ${JSON.stringify(entryPath)} has an extended attribute with a refused name ${JSON.stringify(name)}`,
      { context: { path: entryPath } },
    );
  if (value.length > XATTR_SIZE_MAX)
    throw ociError(
      "TAR_XATTR_INVALID",
      `tar entry ${JSON.stringify(entryPath)}: extended attribute ${name} is ${value.length} bytes (at most ${XATTR_SIZE_MAX})`,
      { context: { path: entryPath } },
    );
}
