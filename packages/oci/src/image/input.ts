import { constants, promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { fromSystemError } from "@particle/runtime";
import { ociError } from "../errors.js";
import { LIMITS } from "../limits.js";

/**
 * Opening files of untrusted inputs (an OCI layout, the members of an unpacked archive): a path
 * inside the input is resolved without ever leaving it (symlinks are followed only while they stay
 * inside, absolute ones never), the file is opened with O_NOFOLLOW and O_NONBLOCK (a FIFO cannot
 * block the open), it must be a regular file, and what is read is bounded by its size, a
 * document cap or a descriptor's size — so a FIFO, /dev/zero or a 1 TiB sparse file fails at once.
 * Errors name the path, never the content.
 */

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function kindOf(stat: import("node:fs").Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  if (stat.isSymbolicLink()) return "a symlink";
  return "not a regular file";
}

/** `rel` resolved inside `root`, following only symlinks that stay inside; the result's last component is not a symlink. */
export async function resolveInside(root: string, rel: string, what: string): Promise<string> {
  const queue = rel.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === "..") {
      if (done.length === 0)
        throw ociError("INPUT_SYMLINK_ESCAPE", `${what}: ${rel} leads outside ${root}`, {
          context: { path: path.join(root, rel) },
        });
      done.pop();
      continue;
    }
    const here = path.join(root, ...done, part);
    let stat: import("node:fs").Stats;
    try {
      stat = await fs.lstat(here);
    } catch (error) {
      throw fromSystemError(error, `${what}: reading ${here}`, here);
    }
    if (stat.isSymbolicLink()) {
      if (++hops > LIMITS.symlinkHops)
        throw ociError(
          "INPUT_SYMLINK_ESCAPE",
          `${what}: ${rel} goes through more than ${LIMITS.symlinkHops} symlinks`,
          {
            context: { path: here },
          },
        );
      const target = await fs.readlink(here);
      if (target.startsWith("/"))
        throw ociError("INPUT_SYMLINK_ESCAPE", `${what}: ${here} is a symlink to an absolute path`, {
          context: { path: here },
        });
      queue.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    if (queue.length > 0 && !stat.isDirectory())
      throw ociError("INPUT_NOT_REGULAR", `${what}: ${here} is not a directory`, { context: { path: here } });
    done.push(part);
  }
  return path.join(root, ...done);
}

export interface InputFile {
  readonly handle: FileHandle;
  readonly path: string;
  readonly size: number;
}

/**
 * Opens a regular file without following a symlink at its last component (a path that is already
 * trusted up to there: the admin's own argument, or the result of resolveInside).
 */
export async function openRegular(file: string, what: string): Promise<InputFile> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, OPEN_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP")
      throw ociError("INPUT_NOT_REGULAR", `${what}: ${file} is a symlink, not a regular file`, {
        context: { path: file },
      });
    throw fromSystemError(error, `${what}: opening ${file}`, file);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw ociError("INPUT_NOT_REGULAR", `${what}: ${file} is ${kindOf(stat)}, not a regular file`, {
      context: { path: file },
    });
  }
  return { handle, path: file, size: stat.size };
}

/** Reads a whole document of at most `cap` bytes (checked against its size before reading). */
export async function readDocument(file: string, what: string, cap: number): Promise<Buffer> {
  const input = await openRegular(file, what);
  try {
    if (input.size > cap)
      throw ociError(
        "DOCUMENT_TOO_LARGE",
        `${what} ${file} is ${input.size} bytes, more than the ${cap} allowed`,
        {
          context: { path: file, limitBytes: cap },
        },
      );
    const buf = Buffer.alloc(input.size);
    let offset = 0;
    while (offset < buf.length) {
      const { bytesRead } = await input.handle.read(buf, offset, buf.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return buf.subarray(0, offset);
  } finally {
    await input.handle.close();
  }
}

/**
 * A stream of exactly `size` bytes of a regular file (fewer if it shrank: the caller's verifier
 * reports that); a size other than `size` fails before anything is read.
 */
export async function openSized(
  file: string,
  what: string,
  size: number,
  onSizeMismatch: (actual: number) => Error,
): Promise<Readable> {
  const input = await openRegular(file, what);
  if (input.size !== size || size === 0) {
    await input.handle.close();
    if (input.size !== size) throw onSizeMismatch(input.size);
    return Readable.from([]);
  }
  return input.handle.createReadStream({ start: 0, end: size - 1, autoClose: true });
}
