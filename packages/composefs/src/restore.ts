import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { ExitCode, isParticleError, Transaction } from "@particle/runtime";
import tar from "tar-stream";
import { BACKUP_FILE, entriesOf } from "./backup.js";
import { addBlobStream, hasBlob } from "./blobs.js";
import { StoreErrors } from "./errors.js";
import { markReachable } from "./gc.js";
import { parseJson, readIndex, type StorePaths, writeIndex } from "./layout.js";
import { Annotation, type Descriptor, OciIndex, OciLayout } from "./oci-spec.js";
import { parseTagRef } from "./refs.js";
import { BackupManifest } from "./spec.js";
import { moveTag } from "./tags.js";

/**
 * Restoring a backup archive (see backup.ts): its members are streamed into the store, each blob
 * verified against its name, and only then are its tags merged into index.json in one replace.
 */

/** The largest JSON member (index.json, particle-backup.json) read into memory. */
const SMALL_LIMIT = 16 * 1024 * 1024;

export interface RestoreReport {
  readonly refs: string[];
  readonly blobs: number;
  /** Blobs that the store already had (not rewritten). */
  readonly reused: number;
  readonly bytes: number;
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
    // Only the refs the archive holds an image for were tagged (mergeRef skips the others).
    const tagged = read.manifest.refs.filter((ref) =>
      entries.some((d) => d.annotations?.[Annotation.refName] === ref),
    );
    return { refs: tagged, blobs: read.blobs, reused: read.reused, bytes: read.bytes };
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
  // A truncated archive fails the pipeline while a member is being read: handled here at once,
  // else it is an unhandled rejection that kills the process (a stack trace, a journal entry left).
  reading.catch(() => undefined);
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
