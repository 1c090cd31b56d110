import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, promises as fs } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import {
  ExitCode,
  fsyncFile,
  isParticleError,
  renameDurable,
  Transaction,
  tempSibling,
} from "@particle/runtime";
import tar from "tar-stream";
import { addBlobStream, blobSize, hasBlob } from "./blobs.js";
import { StoreErrors } from "./errors.js";
import { markReachable } from "./gc.js";
import { blobFile, parseJson, readIndex, type StorePaths, writeIndex } from "./layout.js";
import { digestHex, formatTagRef, parseTagRef } from "./refs.js";
import { Annotation, BackupManifest, type Descriptor, OciIndex, OciLayout } from "./spec.js";
import { emptyIndex, moveTag } from "./tags.js";

/**
 * A backup is one plain tar file that is itself an OCI image layout (oci-layout, index.json,
 * blobs/sha256/…) holding the selected tags with their history, plus `particle-backup.json` listing
 * every blob. Layers are already compressed, so the tar is not. Blobs are re-hashed while written
 * and again while restored, so neither side copies corrupt data silently.
 */

const BACKUP_FILE = "particle-backup.json";
const SMALL_LIMIT = 16 * 1024 * 1024;
const FIXED_MTIME = new Date(0);

export interface BackupReport {
  readonly archive: string;
  readonly refs: string[];
  readonly blobs: number;
  readonly bytes: number;
}

export interface RestoreReport {
  readonly refs: string[];
  readonly blobs: number;
  /** Blobs that the store already had (not rewritten). */
  readonly reused: number;
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
    apiVersion: "particle.dev/v1",
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

async function readSmall(entry: AsyncIterable<unknown>, name: string, archive: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > SMALL_LIMIT) throw StoreErrors.invalidArchive(archive, `${name} is too large`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Merges the archive's entries for `ref` into the store's index: the archive's current image becomes current (pure). */
export function mergeRef(
  index: OciIndex,
  archived: readonly Descriptor[],
  ref: string,
  now: string,
): OciIndex {
  const { name, tag } = parseTagRef(ref);
  const current = archived.find((d) => d.annotations?.[Annotation.refName] === ref);
  if (current === undefined) return index;
  const known = new Set(
    index.manifests.filter((d) => d.annotations?.[Annotation.historyRef] === ref).map((d) => d.digest),
  );
  const history = archived.filter(
    (d) => d.annotations?.[Annotation.historyRef] === ref && !known.has(d.digest),
  );
  return moveTag({ ...index, manifests: [...index.manifests, ...history] }, name, tag, current, now);
}

/**
 * Restores an archive made by `backupImages` into this store: every blob is verified against its
 * name while copied (blobs already present are not rewritten), every image is checked complete,
 * then the tags and their history are merged into index.json in one replace. Journaled as
 * `store.restore`; blobs copied before a failure are unreferenced and left for gc. Hold the writer lock.
 */
export async function restoreImages(paths: StorePaths, archive: string): Promise<RestoreReport> {
  const tx = await Transaction.begin(paths.journalDir, "store.restore", { archive });
  try {
    const read = await readArchive(paths, archive);
    await tx.step("blobs-restored");
    const entries = entriesOf(read.index, read.manifest.refs);
    const reachable = await markReachable(paths, entries, { strict: true }).catch((error: unknown) => {
      throw StoreErrors.invalidArchive(archive, `an image in it is incomplete: ${(error as Error).message}`);
    });
    const needed = [...read.manifest.blobs.map((b) => b.digest), ...reachable];
    for (const digest of needed) {
      if (!(await hasBlob(paths, digest)))
        throw StoreErrors.invalidArchive(archive, `blob ${digest} is missing (truncated archive?)`);
    }
    let index = await readIndex(paths);
    const now = new Date().toISOString();
    for (const ref of read.manifest.refs) index = mergeRef(index, entries, ref, now);
    await writeIndex(paths, index);
    await tx.step("index-updated");
    return { refs: read.manifest.refs, blobs: read.blobs, reused: read.reused, bytes: read.bytes };
  } finally {
    await tx.commit();
  }
}

/** Streams the archive's members into the store (blobs) or memory (the small JSON files), rejecting anything else. */
async function readArchive(
  paths: StorePaths,
  archive: string,
): Promise<{ manifest: BackupManifest; index: OciIndex; blobs: number; reused: number; bytes: number }> {
  let manifest: BackupManifest | undefined;
  let index: OciIndex | undefined;
  let blobs = 0;
  let reused = 0;
  let bytes = 0;
  const extract = tar.extract();
  const reading = pipeline(createReadStream(archive), extract);
  try {
    for await (const entry of extract) {
      const { name, type, size } = entry.header;
      const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      if (type === "directory" && /^(blobs|blobs\/sha256)\/?$/.test(name)) entry.resume();
      else if (type !== "file") throw StoreErrors.invalidArchive(archive, `${name} is a ${type}, not a file`);
      else if (blob) {
        const digest = `sha256:${blob[1]}`;
        if (await hasBlob(paths, digest, size)) reused++;
        await addBlobStream(paths, entry as AsyncIterable<Uint8Array>, {
          digest,
          ...(size === undefined ? {} : { size }),
        }).catch((error: unknown) => {
          throw isParticleError(error) && error.exitCode === ExitCode.integrity
            ? StoreErrors.invalidArchive(archive, `blob ${digest}: ${error.message}`)
            : error;
        });
        blobs++;
        bytes += size ?? 0;
      } else if (name === BACKUP_FILE)
        manifest = parseJson(`${archive}:${name}`, await readSmall(entry, name, archive), BackupManifest);
      else if (name === "index.json")
        index = parseJson(`${archive}:${name}`, await readSmall(entry, name, archive), OciIndex);
      else if (name === "oci-layout")
        parseJson(`${archive}:${name}`, await readSmall(entry, name, archive), OciLayout);
      else throw StoreErrors.invalidArchive(archive, `unexpected member ${name}`);
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => undefined);
    if (isParticleError(error)) throw error;
    throw StoreErrors.invalidArchive(archive, (error as Error).message);
  }
  if (manifest === undefined || index === undefined)
    throw StoreErrors.invalidArchive(archive, `${BACKUP_FILE} or index.json is missing`);
  return { manifest, index, blobs, reused, bytes };
}
