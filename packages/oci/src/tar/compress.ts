import { availableParallelism } from "node:os";
import { type Duplex, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGunzip, gzip } from "node:zlib";
import { spawnTool } from "@particle/runtime";
import { ociError } from "../errors.js";

export type Compression = "none" | "gzip" | "zstd";

export interface DecompressLimits {
  /** Largest decompressed size accepted. @default 64 GiB */
  readonly maxBytes?: number;
  /** Largest ratio of decompressed to compressed bytes, checked once past `ratioGraceBytes`. @default 200 */
  readonly maxRatio?: number;
  /** Output below this size is never a bomb, whatever the ratio. @default 64 MiB */
  readonly ratioGraceBytes?: number;
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The compression a blob is in, from its first bytes (pure). */
export function sniffCompression(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) return "gzip";
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) return "zstd";
  return "none";
}

/** A Transform that counts the bytes through it. */
export function byteCounter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}

/** The first bytes of a stream, put back so the stream still yields them. */
async function peek(source: Readable, bytes: number): Promise<Buffer> {
  for (;;) {
    const chunk = (source.read(bytes) as Buffer | null) ?? (source.readableEnded ? null : undefined);
    if (chunk) {
      source.unshift(chunk);
      return chunk;
    }
    if (chunk === null || source.readableEnded || source.destroyed) return Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        source.off("readable", done).off("end", done).off("error", fail);
        resolve();
      };
      const fail = (error: Error) => {
        source.off("readable", done).off("end", done);
        reject(error);
      };
      source.once("readable", done).once("end", done).once("error", fail);
    });
  }
}

/** The zstd tool as a stream stage (Node 18/20 have no zstd in zlib). */
function zstdStage(args: readonly string[]): Duplex {
  return spawnTool("zstd", [...args, "-q", "-c"]).duplex();
}

/**
 * Decompresses a layer blob (gzip, zstd or plain, recognised by its magic bytes) and stops with
 * DECOMPRESSION_LIMIT when the output grows past the limits, before it reaches the disk.
 */
export async function decompress(source: Readable, limits: DecompressLimits = {}): Promise<Readable> {
  const kind = sniffCompression(await peek(source, 4));
  if (kind === "none") return source;
  const maxBytes = limits.maxBytes ?? 64 * 1024 ** 3;
  const maxRatio = limits.maxRatio ?? 200;
  const grace = limits.ratioGraceBytes ?? 64 * 1024 ** 2;
  let compressed = 0;
  const counter = byteCounter((n) => {
    compressed = n;
  });
  let out = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      out += chunk.length;
      if (out > maxBytes)
        return callback(
          ociError("DECOMPRESSION_LIMIT", `layer expands beyond ${maxBytes} bytes`, {
            context: { limitBytes: maxBytes },
          }),
        );
      if (out > grace && out > compressed * maxRatio) {
        return callback(
          ociError("DECOMPRESSION_LIMIT", `layer expands more than ${maxRatio} times its compressed size`, {
            context: { compressedBytes: compressed, expandedBytes: out },
          }),
        );
      }
      callback(null, chunk);
    },
  });
  const inflate = kind === "gzip" ? createGunzip() : zstdStage(["-d"]);
  pipeline(source, counter, inflate, guard).catch((error: unknown) => guard.destroy(error as Error));
  return guard;
}

/**
 * gzip on every core: the stream is cut into fixed-size blocks, each compressed on zlib's thread
 * pool as its own gzip member, and the members are written in order. Concatenated members are one
 * valid gzip stream (RFC 1952; Go's, zlib's and Node's readers take it), and fixed blocks keep the
 * output reproducible.
 */
export function parallelGzip(
  level: number,
  blockSize = 4 * 1024 * 1024,
  parallel = Math.max(1, availableParallelism()),
): Transform {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const inFlight: Promise<Buffer>[] = [];
  const compress = (block: Buffer) =>
    new Promise<Buffer>((resolve, reject) =>
      gzip(block, { level }, (error, out) => (error ? reject(error) : resolve(out))),
    );
  const takeBlock = () => {
    const all = Buffer.concat(pending);
    const block = all.subarray(0, blockSize);
    pending = all.length > blockSize ? [all.subarray(blockSize)] : [];
    pendingBytes = all.length - block.length;
    return block;
  };
  return new Transform({
    async transform(chunk: Buffer, _encoding, callback) {
      try {
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= blockSize) {
          inFlight.push(compress(takeBlock()));
          if (inFlight.length >= parallel) this.push(await (inFlight.shift() as Promise<Buffer>));
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    async flush(callback) {
      try {
        if (pendingBytes > 0 || inFlight.length === 0) inFlight.push(compress(takeBlock()));
        while (inFlight.length > 0) this.push(await (inFlight.shift() as Promise<Buffer>));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/** Compresses a tar stream for a layer blob: gzip through zlib on every core, zstd through the zstd tool. */
export function compressor(compression: Compression, level?: number): Duplex | undefined {
  if (compression === "none") return undefined;
  if (compression === "gzip") return parallelGzip(level ?? constants.Z_DEFAULT_COMPRESSION);
  // One thread: zstd's output then depends only on its input and level (reproducible digests).
  return zstdStage([`-${level ?? 3}`, "-T1"]);
}
