import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { API_VERSION, fsyncFile, renameDurable, tempSibling } from "@particle/runtime";
import tar from "tar-stream";
import { blobSize } from "./blobs.js";
import { StoreErrors } from "./errors.js";
import { markReachable } from "./gc.js";
import { blobFile, readIndex, type StorePaths } from "./layout.js";
import { Annotation, type Descriptor, type OciIndex, type OciLayout } from "./oci-spec.js";
import { digestHex, formatTagRef, parseTagRef } from "./refs.js";
import type { BackupManifest } from "./spec.js";
import { emptyIndex } from "./tags.js";

/**
 * A backup is one plain tar file that is itself an OCI image layout (oci-layout, index.json,
 * blobs/sha256/…) holding the selected tags with their history, plus `particle-backup.json` listing
 * every blob. Layers are already compressed, so the tar is not. Blobs are re-hashed while written
 * and again while restored (restore.ts), so neither side copies corrupt data silently.
 */

/** The archive's own description (`BackupManifest`), beside the OCI layout. */
export const BACKUP_FILE = "particle-backup.json";
const FIXED_MTIME = new Date(0);

export interface BackupReport {
  readonly archive: string;
  readonly refs: string[];
  readonly blobs: number;
  readonly bytes: number;
}

/** The index entries (current and history) of the given tags (pure). */
export function entriesOf(index: OciIndex, refs: readonly string[]): Descriptor[] {
  const wanted = new Set(refs);
  return index.manifests.filter((d) => {
    const ref = d.annotations?.[Annotation.refName] ?? d.annotations?.[Annotation.historyRef];
    return ref !== undefined && wanted.has(ref);
  });
}

async function writeEntry(pack: tar.Pack, name: string, data: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    pack.entry({ name, size: data.length, mode: 0o644, mtime: FIXED_MTIME }, Buffer.from(data), (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

async function writeBlobEntry(
  pack: tar.Pack,
  paths: StorePaths,
  digest: string,
  size: number,
): Promise<void> {
  // Open before the tar header is written: a gc running meanwhile cannot take an open file away.
  const handle = await fs.open(blobFile(paths, digest), "r").catch((error: NodeJS.ErrnoException) => {
    throw error.code === "ENOENT" ? StoreErrors.blobMissing(digest) : error;
  });
  const hash = createHash("sha256");
  const entry = pack.entry({
    name: `blobs/sha256/${digestHex(digest)}`,
    size,
    mode: 0o444,
    mtime: FIXED_MTIME,
  });
  const finished = new Promise<void>((resolve, reject) => {
    entry.on("finish", resolve);
    entry.on("error", reject);
  });
  for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    if (!entry.write(chunk)) await once(entry, "drain");
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest) {
    const error = StoreErrors.digestMismatch(digest, actual, { blob: blobFile(paths, digest) });
    entry.destroy(error);
    throw error;
  }
  entry.end(null);
  await finished;
}

/** Writes the selected tags ("name" or "name:tag"), their history and every blob they need to one archive. */
export async function backupImages(
  paths: StorePaths,
  refs: readonly string[],
  archive: string,
): Promise<BackupReport> {
  const index = await readIndex(paths);
  const tagRefs = refs.map((r) => {
    const { name, tag } = parseTagRef(r);
    return formatTagRef(name, tag);
  });
  const entries = entriesOf(index, tagRefs);
  for (const ref of tagRefs) {
    if (!entries.some((d) => d.annotations?.[Annotation.refName] === ref))
      throw StoreErrors.imageNotFound(ref);
  }
  const digests = [...(await markReachable(paths, entries, { strict: true }))].sort();
  const blobs: { digest: string; size: number }[] = [];
  for (const digest of digests) {
    const size = await blobSize(paths, digest);
    if (size === undefined) throw StoreErrors.blobMissing(digest);
    blobs.push({ digest, size });
  }
  const manifest: BackupManifest = {
    apiVersion: API_VERSION,
    kind: "StoreBackup",
    createdAt: new Date().toISOString(),
    refs: tagRefs,
    blobs,
  };
  const temp = tempSibling(path.resolve(archive), "backup");
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(temp, { flags: "wx" }));
  try {
    const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
    await writeEntry(pack, "oci-layout", json({ imageLayoutVersion: "1.0.0" } satisfies OciLayout));
    await writeEntry(pack, BACKUP_FILE, json(manifest));
    await writeEntry(pack, "index.json", json({ ...emptyIndex(), manifests: entries } satisfies OciIndex));
    for (const blob of blobs) await writeBlobEntry(pack, paths, blob.digest, blob.size);
    pack.finalize();
    await written;
    await fsyncFile(temp);
    await renameDurable(temp, path.resolve(archive));
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
  return {
    archive: path.resolve(archive),
    refs: tagRefs,
    blobs: blobs.length,
    bytes: blobs.reduce((s, b) => s + b.size, 0),
  };
}
