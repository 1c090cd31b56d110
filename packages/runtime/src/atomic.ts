import { randomBytes } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError } from "./errors.js";
import { failpoint } from "./failpoint.js";

/** Flushes a directory's entries (new names, renames, unlinks) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A unique hidden name beside `target`, for writing before the rename that publishes it. */
export function tempSibling(target: string, tag = "tmp"): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
}

export interface WriteAtomicOptions {
  /** File mode of the new file. @default 0o644 */
  readonly mode?: number;
}

/**
 * Replaces `target` with `data` so that a reader, or a crash at any instant, sees the old content or
 * the new one, never a mix: write a temp sibling, fsync it, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: WriteAtomicOptions = {},
): Promise<void> {
  const temp = tempSibling(target);
  try {
    const handle = await fs.open(temp, "wx", options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      // The umask may have narrowed the mode given to open(); the caller asked for this one.
      if (options.mode !== undefined) await handle.chmod(options.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    failpoint("atomic-write:before-rename");
    await fs.rename(temp, target);
    await fsyncDir(path.dirname(target));
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw fromSystemError(error, `writing ${target}`, target);
  }
}

/** `writeFileAtomic` of a value as pretty JSON with a trailing newline. */
export async function writeJsonAtomic(
  target: string,
  value: unknown,
  options: WriteAtomicOptions = {},
): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** Renames and makes the rename durable (both parent directories are fsynced). */
export async function renameDurable(from: string, to: string): Promise<void> {
  await fs.rename(from, to);
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
}

/** Fsyncs a regular file's data. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates a directory and every missing parent, fsyncing each parent so the new entries survive a crash. */
export async function mkdirDurable(dir: string, mode = 0o755): Promise<void> {
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      await fs.access(current);
      break;
    } catch {
      missing.unshift(current);
      if (current === path.dirname(current)) break;
    }
  }
  for (const entry of missing) {
    try {
      await fs.mkdir(entry, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw fromSystemError(error, `creating ${entry}`, entry);
    }
    await fsyncDir(path.dirname(entry));
  }
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * The result of a filesystem call, or `undefined` when its path does not exist (ENOENT, or ENOTDIR: a
 * file where a directory was expected): absence is an answer, any other failure (EACCES, EIO)
 * surfaces. `(await ifExists(fs.readdir(dir))) ?? []`.
 */
export async function ifExists<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Reads a file, or returns `undefined` when it does not exist. */
export async function readFileIfExists(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fromSystemError(error, `reading ${p}`, p);
  }
}
