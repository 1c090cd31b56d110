import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError, ParticleError, run } from "@particle/runtime";
import { ociError } from "../errors.js";
import { checkXattr, isOverlayWhiteout, symlinkEscapes, type TarEntry } from "./entry.js";
import { encodeName, isUtf8Name, pathBytes } from "./name.js";
import { type TarItem, tarStreamError } from "./read.js";

export interface ExtractOptions {
  /**
   * Which device nodes may be created: none, only overlay whiteouts (char 0:0), or any (trusted
   * OS images carry /dev/null and friends). @default "whiteouts"
   */
  readonly devices?: "reject" | "whiteouts" | "allow";
  /** Apply owners (lchown). @default true when running as root */
  readonly owners?: boolean;
  /** Called after each entry (progress). */
  readonly onEntry?: (entry: TarEntry) => void;
}

export interface ExtractStats {
  readonly entries: number;
  readonly bytes: number;
}

type Kind = "directory" | "file" | "symlink" | "other";

interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/**
 * Extracts a tar stream into an empty directory without ever writing outside it. The extractor
 * keeps its own map of every path it created, so it never trusts (or follows) what is on disk:
 * - absolute names and `..` are rejected (TAR_PATH_ABSOLUTE, TAR_PATH_TRAVERSAL) when read;
 * - an entry below a symlink of the archive is rejected (TAR_WRITE_THROUGH_SYMLINK);
 * - a relative symlink that climbs above the root is rejected (TAR_SYMLINK_ESCAPE); absolute
 *   targets are kept as they are, since they resolve inside the image once it is the root;
 * - a hardlink must name a regular file extracted earlier (TAR_HARDLINK_TARGET_INVALID);
 * - a path seen twice is rejected (TAR_DUPLICATE_ENTRY), except a directory's metadata repeated
 *   (whiteout conversion emits an opaque directory again);
 * - device nodes follow `devices`; files are created with O_EXCL|O_NOFOLLOW.
 * Directory modes and times are applied last (deepest first), xattrs after owners (chown clears
 * security.capability).
 */
export async function extractTar(
  items: AsyncIterable<TarItem>,
  target: string,
  options: ExtractOptions = {},
): Promise<ExtractStats> {
  const root = path.resolve(target);
  const existing = await fs.readdir(root).catch((error: unknown) => {
    throw fromSystemError(error, `opening extraction target ${root}`, root);
  });
  if (existing.length > 0)
    throw ociError("EXTRACT_TARGET_NOT_EMPTY", `extraction target ${root} is not empty`, {
      context: { path: root },
    });
  const devices = options.devices ?? "whiteouts";
  const owners = options.owners ?? process.getuid?.() === 0;
  const kinds = new Map<string, Kind>([["", "directory"]]);
  const dirs = new Map<string, DirMeta>();
  const xattrs = new Map<string, Record<string, Buffer>>();
  let entries = 0;
  let bytes = 0;

  const abs = (p: string) => pathBytes(root, p);
  /** Runs a tool that takes the path as an argument: a name that is not UTF-8 is made under a plain temporary name, then renamed. */
  const viaPlainName = async (p: string, make: (plain: string) => Promise<unknown>) => {
    if (isUtf8Name(p)) return make(path.join(root, p));
    const plain = path.join(root, `.particle-tmp-${entries}`);
    await make(plain);
    await fs.rename(plain, abs(p));
  };

  const ensureParents = async (p: string) => {
    const parts = p.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      const kind = kinds.get(dir);
      if (kind === "directory") continue;
      if (kind === "symlink")
        throw ociError(
          "TAR_WRITE_THROUGH_SYMLINK",
          `tar entry ${p} would be written through the symlink ${dir}`,
          { context: { path: p, symlink: dir } },
        );
      if (kind !== undefined)
        throw ociError(
          "TAR_PARENT_NOT_DIRECTORY",
          `tar entry ${p} is below ${dir}, which is not a directory`,
          { context: { path: p } },
        );
      await fs.mkdir(abs(dir), { mode: 0o755 });
      kinds.set(dir, "directory");
    }
  };

  const chown = async (p: string, entry: TarEntry) => {
    if (owners) await fs.lchown(abs(p), entry.uid, entry.gid);
  };

  for await (const { entry, body } of items) {
    const p = entry.path;
    if (p === "") {
      // The root's own entry ("./", or "/" as `umoci insert … /` writes it): its metadata is the root's.
      body.resume();
      if (entry.type !== "directory")
        throw ociError("TAR_PATH_INVALID", `the archive's root entry is a ${entry.type}, not a directory`);
      dirs.set("", { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime });
      if (Object.keys(entry.xattrs).length > 0) xattrs.set("", { ...xattrs.get(""), ...entry.xattrs });
      entries++;
      options.onEntry?.(entry);
      continue;
    }
    await ensureParents(p);
    const seen = kinds.get(p);
    if (seen !== undefined && !(seen === "directory" && entry.type === "directory")) {
      throw ociError("TAR_DUPLICATE_ENTRY", `tar entry ${p} appears more than once`, {
        context: { path: p },
      });
    }
    try {
      switch (entry.type) {
        case "directory": {
          if (seen === undefined) await fs.mkdir(abs(p), { mode: 0o700 });
          kinds.set(p, "directory");
          dirs.set(p, { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime });
          body.resume();
          break;
        }
        case "file": {
          const handle = await fs.open(
            abs(p),
            constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
            0o600,
          );
          kinds.set(p, "file");
          try {
            for await (const chunk of body) await handle.write(chunk as Buffer);
            if (owners) await handle.chown(entry.uid, entry.gid);
            await handle.chmod(entry.mode);
            await handle.utimes(entry.mtime, entry.mtime);
          } finally {
            await handle.close();
          }
          bytes += entry.size;
          break;
        }
        case "symlink": {
          body.resume();
          const linkTarget = entry.linkname ?? "";
          if (linkTarget === "" || linkTarget.includes("\0"))
            throw ociError("TAR_PATH_INVALID", `symlink ${p} has an empty target`, { context: { path: p } });
          if (symlinkEscapes(p, linkTarget)) {
            throw ociError(
              "TAR_SYMLINK_ESCAPE",
              `symlink ${p} -> ${linkTarget} points above the image root`,
              { context: { path: p, target: linkTarget } },
            );
          }
          await fs.symlink(encodeName(linkTarget), abs(p));
          kinds.set(p, "symlink");
          await chown(p, entry);
          await fs.lutimes(abs(p), entry.mtime, entry.mtime);
          break;
        }
        case "hardlink": {
          body.resume();
          const linkTarget = entry.linkname ?? "";
          if (kinds.get(linkTarget) !== "file") {
            throw ociError(
              "TAR_HARDLINK_TARGET_INVALID",
              `hardlink ${p} -> ${linkTarget} does not name a regular file extracted before it`,
              {
                context: { path: p, target: linkTarget },
              },
            );
          }
          await fs.link(abs(linkTarget), abs(p));
          kinds.set(p, "file");
          break;
        }
        case "char":
        case "block":
        case "fifo": {
          body.resume();
          if (entry.type !== "fifo") {
            const allowed = devices === "allow" || (devices === "whiteouts" && isOverlayWhiteout(entry));
            if (!allowed) {
              throw ociError(
                "TAR_DEVICE_NOT_ALLOWED",
                `tar entry ${p} is a ${entry.type} device ${entry.devmajor}:${entry.devminor}`,
                { context: { path: p } },
              );
            }
            const mode = `0${entry.mode.toString(8)}`;
            await viaPlainName(p, (target) =>
              run("mknod", [
                "-m",
                mode,
                target,
                entry.type === "char" ? "c" : "b",
                String(entry.devmajor),
                String(entry.devminor),
              ]),
            );
          } else {
            await viaPlainName(p, (target) => run("mkfifo", ["-m", `0${entry.mode.toString(8)}`, target]));
          }
          kinds.set(p, "other");
          await chown(p, entry);
          await fs.lutimes(abs(p), entry.mtime, entry.mtime);
          break;
        }
      }
    } catch (error) {
      const mapped = tarStreamError(error);
      if (mapped instanceof ParticleError) throw mapped;
      throw fromSystemError(error, `extracting ${p}`, path.join(root, p));
    }
    if (Object.keys(entry.xattrs).length > 0) xattrs.set(p, { ...xattrs.get(p), ...entry.xattrs });
    entries++;
    options.onEntry?.(entry);
  }

  await applyXattrs(root, xattrs);
  // Deepest first, so that setting a parent's time is not undone by its children.
  const depth = (p: string) => (p === "" ? 0 : p.split("/").length);
  const ordered = [...dirs.entries()].sort(([a], [b]) => depth(b) - depth(a));
  for (const [p, meta] of ordered) {
    if (owners) await fs.lchown(abs(p), meta.uid, meta.gid);
    await fs.chmod(abs(p), meta.mode);
    await fs.utimes(abs(p), meta.mtime, meta.mtime);
  }
  return { entries, bytes };
}

/** Arguments per setfattr run: well below ARG_MAX. */
const SETFATTR_ARG_BYTES = 64 * 1024;

/**
 * Sets every collected xattr with setfattr, one run per (name, value) and batch of files: names
 * and values are arguments, never a text format a name could break out of; `-h` never follows a
 * symlink, and every path is relative to the extraction root (whose directories were all created
 * here, so no component on the way is a symlink). Node has no xattr API.
 */
async function applyXattrs(root: string, xattrs: Map<string, Record<string, Buffer>>): Promise<void> {
  const groups = new Map<string, { name: string; value: Buffer; paths: string[] }>();
  for (const [p, attrs] of xattrs) {
    for (const [name, value] of Object.entries(attrs)) {
      checkXattr(p, name, value);
      const key = `${name}=${value.toString("hex")}`;
      const group = groups.get(key) ?? { name, value, paths: [] };
      group.paths.push(p);
      groups.set(key, group);
    }
  }
  for (const { name, value, paths } of groups.values()) {
    const fixed = ["-h", "-n", name, "-v", `0x${value.toString("hex")}`, "--"];
    let batch: string[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        await run("setfattr", [...fixed, ...batch], { cwd: root });
      } catch (error) {
        throw ociError("XATTR_FAILED", `setting extended attribute ${name} failed`, {
          cause: error,
          context: { path: root },
        });
      }
      batch = [];
      bytes = 0;
    };
    for (const p of paths) {
      if (!isUtf8Name(p)) {
        // Not a valid argument: set it under a plain temporary name, then put the name back.
        const plain = ".particle-xattr-tmp";
        await fs.rename(pathBytes(root, p), path.join(root, plain));
        try {
          await run("setfattr", [...fixed, `./${plain}`], { cwd: root });
        } catch (error) {
          throw ociError("XATTR_FAILED", `setting extended attribute ${name} failed`, { cause: error });
        } finally {
          await fs.rename(path.join(root, plain), pathBytes(root, p));
        }
        continue;
      }
      // "./" keeps a name that starts with "-" from reading as an option.
      const arg = p === "" ? "." : `./${p}`;
      if (bytes + arg.length > SETFATTR_ARG_BYTES) await flush();
      batch.push(arg);
      bytes += arg.length + 1;
    }
    await flush();
  }
}
