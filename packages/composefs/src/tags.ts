import { Annotation, type Descriptor, MediaType, type OciIndex } from "./oci-spec.js";
import { formatTagRef } from "./refs.js";

/**
 * Tags and their history live in index.json, so that moving a tag and recording where it pointed
 * before is one atomic file replace. A current tag is an entry with the OCI `ref.name` annotation
 * ("name:tag"); a history entry carries `dev.particle.history.ref` instead, so OCI tools see it as an
 * untagged manifest. History entries are kept in the order they were replaced (oldest first).
 * Everything here is pure: it takes an index and returns a new one.
 */

export interface TagEntry {
  readonly name: string;
  readonly tag: string;
  readonly descriptor: Descriptor;
  /** When the tag was set to this manifest. */
  readonly tagged: string | undefined;
}

export interface HistoryEntry {
  readonly manifestDigest: string;
  readonly tagged: string | undefined;
  readonly replaced: string | undefined;
}

function splitRef(ref: string): { name: string; tag: string } {
  const colon = ref.lastIndexOf(":");
  return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

export function emptyIndex(): OciIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

export function currentTags(index: OciIndex): TagEntry[] {
  const tags: TagEntry[] = [];
  for (const descriptor of index.manifests) {
    const ref = descriptor.annotations?.[Annotation.refName];
    if (ref === undefined || !ref.includes(":")) continue;
    tags.push({ ...splitRef(ref), descriptor, tagged: descriptor.annotations?.[Annotation.tagged] });
  }
  return tags;
}

export function findTag(index: OciIndex, name: string, tag: string): TagEntry | undefined {
  return currentTags(index).find((t) => t.name === name && t.tag === tag);
}

const isCurrent = (d: Descriptor, ref: string) => d.annotations?.[Annotation.refName] === ref;
const isHistoryOf = (d: Descriptor, ref: string) => d.annotations?.[Annotation.historyRef] === ref;

/** Where the tag pointed before, newest first. */
export function tagHistory(index: OciIndex, name: string, tag: string): HistoryEntry[] {
  const ref = formatTagRef(name, tag);
  return index.manifests
    .filter((d) => isHistoryOf(d, ref))
    .map((d) => ({
      manifestDigest: d.digest,
      tagged: d.annotations?.[Annotation.tagged],
      replaced: d.annotations?.[Annotation.historyReplaced],
    }))
    .reverse();
}

function manifestDescriptor(manifest: Descriptor): Descriptor {
  return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
}

/**
 * Points name:tag at `manifest`. The manifest it pointed to before (if another) becomes the newest
 * history entry. Setting a tag to where it already points changes nothing.
 */
export function moveTag(
  index: OciIndex,
  name: string,
  tag: string,
  manifest: Descriptor,
  now: string,
): OciIndex {
  const ref = formatTagRef(name, tag);
  const old = index.manifests.find((d) => isCurrent(d, ref));
  if (old?.digest === manifest.digest) return index;
  const manifests = index.manifests.filter((d) => d !== old);
  if (old !== undefined) {
    const tagged = old.annotations?.[Annotation.tagged];
    manifests.push({
      ...manifestDescriptor(old),
      annotations: {
        [Annotation.historyRef]: ref,
        ...(tagged ? { [Annotation.tagged]: tagged } : {}),
        [Annotation.historyReplaced]: now,
      },
    });
  }
  manifests.push({
    ...manifestDescriptor(manifest),
    annotations: { [Annotation.refName]: ref, [Annotation.tagged]: now },
  });
  return { ...index, manifests };
}

/**
 * Returns name:tag to the image it pointed to before. The newest history entry becomes current and
 * the current image becomes the newest history entry, so a second rollback undoes the first.
 */
export function rollbackTag(
  index: OciIndex,
  name: string,
  tag: string,
  now: string,
): { index: OciIndex; from: string; to: string } | undefined {
  const ref = formatTagRef(name, tag);
  const current = index.manifests.find((d) => isCurrent(d, ref));
  const previous = index.manifests.findLast((d) => isHistoryOf(d, ref));
  if (current === undefined || previous === undefined) return undefined;
  const without = { ...index, manifests: index.manifests.filter((d) => d !== previous) };
  return { index: moveTag(without, name, tag, previous, now), from: current.digest, to: previous.digest };
}

/** Removes name:tag and its history. */
export function removeTag(index: OciIndex, name: string, tag: string): OciIndex {
  const ref = formatTagRef(name, tag);
  return { ...index, manifests: index.manifests.filter((d) => !isCurrent(d, ref) && !isHistoryOf(d, ref)) };
}

/** Removes every entry (tags and history) that points to the manifest. */
export function removeManifest(index: OciIndex, digest: string): OciIndex {
  return { ...index, manifests: index.manifests.filter((d) => d.digest !== digest) };
}

/** Keeps only the newest `keep` history entries of each tag. */
export function pruneHistory(index: OciIndex, keep: number): { index: OciIndex; pruned: Descriptor[] } {
  const seen = new Map<string, number>();
  const pruned = new Set<Descriptor>();
  for (const d of [...index.manifests].reverse()) {
    const ref = d.annotations?.[Annotation.historyRef];
    if (ref === undefined) continue;
    const count = (seen.get(ref) ?? 0) + 1;
    seen.set(ref, count);
    if (count > keep) pruned.add(d);
  }
  return {
    index: { ...index, manifests: index.manifests.filter((d) => !pruned.has(d)) },
    pruned: [...pruned],
  };
}

/** Every "name:tag" that has a current entry or history. */
export function knownRefs(index: OciIndex): string[] {
  const refs = new Set<string>();
  for (const d of index.manifests) {
    const ref = d.annotations?.[Annotation.refName] ?? d.annotations?.[Annotation.historyRef];
    if (ref !== undefined) refs.add(ref);
  }
  return [...refs];
}
