import { promises as fs } from "node:fs";
import path from "node:path";
import type { Duplex } from "node:stream";
import { hasher, writeStreamAtomic } from "./image/verify.js";
import { MediaType } from "./spec.js";
import { connect } from "./stream.js";
import { byteCounter, type Compression, compressor } from "./tar/compress.js";
import type { TarItem } from "./tar/read.js";
import { TarWriter } from "./tar/write.js";

/** An OCI tar layer written to a scratch file: its descriptor facts and its diffID. */
export interface LayerBlob {
  readonly file: string;
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  readonly diffId: string;
}

export const LAYER_MEDIA_TYPE: Readonly<Record<Compression, string>> = {
  none: MediaType.ociLayerTar,
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
};

/** Streams tar items into a compressed layer file, hashing both the tar and the blob on the way. */
export async function writeLayerBlob(
  items: AsyncIterable<TarItem>,
  dir: string,
  options: { compression: Compression; level?: number; onBytes?: (bytes: number) => void },
): Promise<LayerBlob> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `layer-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  const writer = new TarWriter();
  const diff = hasher();
  const zip = compressor(options.compression, options.level);
  const stages: Duplex[] = [byteCounter((n) => options.onBytes?.(n)), diff, ...(zip ? [zip] : [])];
  const tail = connect(writer.stream, ...stages);
  const feed = (async () => {
    try {
      for await (const { entry, body } of items) await writer.add(entry, body);
      writer.finalize();
    } catch (error) {
      writer.destroy(error as Error);
      throw error;
    }
  })();
  try {
    const [, blob] = await Promise.all([feed, writeStreamAtomic(tail, file)]);
    return {
      file,
      mediaType: LAYER_MEDIA_TYPE[options.compression],
      digest: blob.digest,
      size: blob.size,
      diffId: diff.result().digest,
    };
  } catch (error) {
    await fs.rm(file, { force: true });
    throw error;
  }
}
