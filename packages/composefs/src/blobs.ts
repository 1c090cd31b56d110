import { createHash, randomBytes } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { fromSystemError, fsyncDir } from "@particle/runtime";
import { StoreErrors } from "./errors.js";
import { blobFile, type StorePaths } from "./layout.js";
import { type Descriptor, MediaType } from "./oci-spec.js";

/**
 * Content-addressed blobs: staged in .particle/tmp (same filesystem), hashed while written, checked
 * against what the caller expected, and published with one rename. A blob that is already present is
 * never rewritten.
 */

export interface ExpectedBlob {
  readonly digest?: string;
  readonly size?: number;
  /** @default "application/octet-stream" */
  readonly mediaType?: string;
}

export function stagingFile(paths: StorePaths, tag: string): string {
  return path.join(paths.tmpDir, `${tag}-${process.pid}-${randomBytes(6).toString("hex")}`);
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fromSystemError(error, `reading ${file}`, file);
  }
}

function check(expected: ExpectedBlob, digest: string, size: number): void {
  if (expected.size !== undefined && expected.size !== size)
    throw StoreErrors.sizeMismatch(expected.size, size, { digest });
  if (expected.digest !== undefined && expected.digest !== digest)
    throw StoreErrors.digestMismatch(expected.digest, digest);
}

/** The size of a stored blob, or undefined when the store does not hold it. */
export async function blobSize(paths: StorePaths, digest: string): Promise<number | undefined> {
  return sizeOf(blobFile(paths, digest));
}

/**
 * Marks a reused blob as fresh, so that gc's age grace covers the commit that is about to reference
 * it, exactly as it covers a newly written blob.
 */
async function touch(paths: StorePaths, digest: string): Promise<void> {
  const now = new Date();
  await fs.utimes(blobFile(paths, digest), now, now);
}

/** Whether the store holds `digest` (with `size`, when given). */
export async function hasBlob(paths: StorePaths, digest: string, size?: number): Promise<boolean> {
  const actual = await sizeOf(blobFile(paths, digest));
  return actual !== undefined && (size === undefined || actual === size);
}

/**
 * Moves a complete staged file into blobs/ under `digest` (fsynced first, read-only, directory
 * fsynced after). If the blob is already there, the staged file is dropped instead.
 */
export async function publishStaged(paths: StorePaths, staged: string, digest: string): Promise<void> {
  const target = blobFile(paths, digest);
  if ((await sizeOf(target)) !== undefined) {
    await fs.rm(staged, { force: true });
    await touch(paths, digest);
    return;
  }
  const handle = await fs.open(staged, "r");
  try {
    await handle.chmod(0o444);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(staged, target);
  await fsyncDir(paths.blobsDir);
}

/**
 * Stores the bytes of a stream as a blob, hashing while it writes (constant memory). The stream is
 * always read to its end. With an expected digest already present, nothing is written.
 */
export async function addBlobStream(
  paths: StorePaths,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  expected: ExpectedBlob = {},
): Promise<Descriptor> {
  const mediaType = expected.mediaType ?? MediaType.octetStream;
  if (expected.digest !== undefined && (await hasBlob(paths, expected.digest, expected.size))) {
    let size = 0;
    for await (const chunk of source) size += chunk.length;
    check(expected, expected.digest, size);
    await touch(paths, expected.digest);
    return { mediaType, digest: expected.digest, size };
  }
  const staged = stagingFile(paths, "blob");
  try {
    const hash = createHash("sha256");
    let size = 0;
    const handle = await fs.open(staged, "wx", 0o644);
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    const digest = `sha256:${hash.digest("hex")}`;
    check(expected, digest, size);
    await publishStaged(paths, staged, digest);
    return { mediaType, digest, size };
  } catch (error) {
    await fs.rm(staged, { force: true });
    throw error;
  }
}

/** Stores a file's content as a blob (see addBlobStream); an expected digest already present is not read. */
export async function addBlobFile(
  paths: StorePaths,
  source: string,
  expected: ExpectedBlob = {},
): Promise<Descriptor> {
  let size: number;
  try {
    size = (await fs.stat(source)).size;
  } catch (error) {
    throw fromSystemError(error, `reading ${source}`, source);
  }
  if (expected.digest !== undefined && (await hasBlob(paths, expected.digest, expected.size))) {
    check(expected, expected.digest, size);
    await touch(paths, expected.digest);
    return { mediaType: expected.mediaType ?? MediaType.octetStream, digest: expected.digest, size };
  }
  return addBlobStream(paths, createReadStream(source, { highWaterMark: 1 << 20 }), expected);
}

/** Stores a small in-memory document (a manifest or config) as a blob. */
export async function addBlobBytes(
  paths: StorePaths,
  bytes: Uint8Array,
  mediaType: string,
): Promise<Descriptor> {
  return addBlobStream(paths, [bytes], { mediaType });
}
