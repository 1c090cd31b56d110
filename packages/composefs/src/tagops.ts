import { Transaction } from "@particle/runtime";
import { StoreErrors } from "./errors.js";
import { readIndex, type StorePaths, writeIndex } from "./layout.js";
import { formatTagRef, parseRef, parseTagRef } from "./refs.js";
import { findTag, type HistoryEntry, removeManifest, removeTag, rollbackTag, tagHistory } from "./tags.js";

/** Where a tag points and where it pointed before, newest first. */
export interface TagHistory {
  readonly ref: string;
  readonly current: string | undefined;
  readonly previous: HistoryEntry[];
}

export async function readTagHistory(paths: StorePaths, ref: string): Promise<TagHistory> {
  const { name, tag } = parseTagRef(ref);
  const index = await readIndex(paths);
  const current = findTag(index, name, tag)?.descriptor.digest;
  const previous = tagHistory(index, name, tag);
  if (current === undefined && previous.length === 0)
    throw StoreErrors.imageNotFound(formatTagRef(name, tag));
  return { ref: formatTagRef(name, tag), current, previous };
}

/** Moves a tag back to the image it pointed to before (one index.json replace). Hold the writer lock. */
export async function rollbackWrite(
  paths: StorePaths,
  ref: string,
): Promise<{ ref: string; from: string; to: string }> {
  const { name, tag } = parseTagRef(ref);
  const tx = await Transaction.begin(paths.journalDir, "store.rollback", { ref: formatTagRef(name, tag) });
  const result = rollbackTag(await readIndex(paths), name, tag, new Date().toISOString());
  if (result === undefined) {
    await tx.commit();
    throw StoreErrors.noHistory(formatTagRef(name, tag));
  }
  await writeIndex(paths, result.index);
  await tx.step("index-updated");
  await tx.commit();
  return { ref: formatTagRef(name, tag), from: result.from, to: result.to };
}

/**
 * Removes a tag with its history ("name:tag"), or every tag and history entry of a manifest
 * ("sha256:…"). The blobs stay until `gc`. Hold the writer lock.
 */
export async function removeWrite(paths: StorePaths, ref: string): Promise<{ removed: string[] }> {
  const parsed = parseRef(ref);
  const tx = await Transaction.begin(paths.journalDir, "store.remove", { ref });
  const index = await readIndex(paths);
  const next =
    parsed.kind === "tag" ? removeTag(index, parsed.name, parsed.tag) : removeManifest(index, parsed.digest);
  const removed = index.manifests.filter((d) => !next.manifests.includes(d)).map((d) => d.digest);
  if (removed.length === 0) {
    await tx.commit();
    throw StoreErrors.imageNotFound(ref);
  }
  await writeIndex(paths, next);
  await tx.step("index-updated");
  await tx.commit();
  return { removed: [...new Set(removed)] };
}
