import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { failpoint, fromSystemError, fsyncDir, tempSibling } from "@particle/runtime";
import { ociError } from "../errors.js";
import type { Descriptor } from "../spec.js";
import { connect } from "../stream.js";
import { openSized } from "./input.js";

/** Checks a digest string before it is used in a path or URL. */
export function checkDigest(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest))
    throw ociError("DIGEST_INVALID", `unsupported or malformed digest ${JSON.stringify(digest)}`, {
      context: { digest },
    });
  return digest.slice("sha256:".length);
}

/**
 * Passes a blob through while hashing it: more bytes than the descriptor's size fail at once
 * (BLOB_SIZE_MISMATCH, so an endless stream stops early), a wrong digest fails at the end.
 */
export function verifier(expected: Pick<Descriptor, "digest" | "size">, what = expected.digest): Transform {
  checkDigest(expected.digest);
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > expected.size) {
        return callback(
          ociError(
            "BLOB_SIZE_MISMATCH",
            `${what} is larger than the ${expected.size} bytes its descriptor declares`,
            { context: { digest: expected.digest } },
          ),
        );
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (size !== expected.size) {
        return callback(
          ociError(
            "BLOB_SIZE_MISMATCH",
            `${what} has ${size} bytes, its descriptor declares ${expected.size}`,
            { context: { digest: expected.digest } },
          ),
        );
      }
      const actual = `sha256:${hash.digest("hex")}`;
      if (actual !== expected.digest) {
        return callback(
          ociError("BLOB_DIGEST_MISMATCH", `${what} has digest ${actual}, expected ${expected.digest}`, {
            context: { digest: expected.digest, actual },
          }),
        );
      }
      callback();
    },
  });
}

/** A stream's digest and size as it passes (read after the stream ended). */
export function hasher(): Transform & { result(): { digest: string; size: number } } {
  const hash = createHash("sha256");
  let size = 0;
  let digest: string | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      digest = `sha256:${hash.digest("hex")}`;
      callback();
    },
  });
  return Object.assign(t, {
    result() {
      if (digest === undefined) throw new Error("hasher: stream not finished");
      return { digest, size };
    },
  });
}

/**
 * Writes a stream to `target` atomically (temp, fsync, rename, fsync dir) and returns its digest
 * and size; with `expected`, the content is verified before the rename.
 */
export async function writeStreamAtomic(
  source: Readable,
  target: string,
  expected?: Pick<Descriptor, "digest" | "size">,
): Promise<{ digest: string; size: number }> {
  const temp = tempSibling(target);
  const h = hasher();
  try {
    const handle = await fs.open(temp, "wx", 0o644);
    try {
      const sink = async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) await handle.write(chunk);
      };
      if (expected) await pipeline(source, verifier(expected), h, sink);
      else await pipeline(source, h, sink);
      await handle.sync();
    } finally {
      await handle.close();
    }
    failpoint("oci.blob/before-rename");
    await fs.rename(temp, target);
    await fsyncDir(path.dirname(target));
    return h.result();
  } catch (error) {
    await fs.rm(temp, { force: true });
    if (error instanceof Error && error.name === "ParticleError") throw error;
    throw fromSystemError(error, `writing ${target}`, target);
  }
}

/**
 * Opens a local blob file (no-follow, regular, of the descriptor's size before anything is read),
 * verified against its descriptor as it is read.
 */
export async function openVerified(
  file: string,
  expected: Pick<Descriptor, "digest" | "size">,
): Promise<Readable> {
  let source: Readable;
  try {
    source = await openSized(file, `blob ${expected.digest}`, expected.size, (actual) =>
      ociError(
        "BLOB_SIZE_MISMATCH",
        `blob ${expected.digest} has ${actual} bytes, its descriptor declares ${expected.size}`,
        {
          context: { digest: expected.digest },
        },
      ),
    );
  } catch (error) {
    if ((error as { code?: string }).code === "NOT_FOUND")
      throw ociError("BLOB_NOT_FOUND", `blob ${expected.digest} is missing`, { cause: error });
    throw error;
  }
  return connect(source, verifier(expected));
}
