import { describe, expect, it } from "vitest";
import { Annotation, type Descriptor, MediaType } from "../src/index.js";
import {
  currentTags,
  emptyIndex,
  moveTag,
  pruneHistory,
  removeManifest,
  removeTag,
  rollbackTag,
  tagHistory,
} from "../src/tags.js";

const manifest = (n: number): Descriptor => ({
  mediaType: MediaType.ociManifest,
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: n,
});
const [m1, m2, m3] = [manifest(1), manifest(2), manifest(3)];

function tagged(...steps: Descriptor[]) {
  let index = emptyIndex();
  steps.forEach((m, i) => {
    index = moveTag(index, "os", "latest", m, `2024-01-0${i + 1}T00:00:00Z`);
  });
  return index;
}

describe("tags in index.json", () => {
  it("moving-a-tag-keeps-the-old-target-as-history", () => {
    const index = tagged(m1, m2, m3);
    expect(currentTags(index).map((t) => [t.name, t.tag, t.descriptor.digest])).toEqual([
      ["os", "latest", m3.digest],
    ]);
    expect(tagHistory(index, "os", "latest")).toEqual([
      { manifestDigest: m2.digest, tagged: "2024-01-02T00:00:00Z", replaced: "2024-01-03T00:00:00Z" },
      { manifestDigest: m1.digest, tagged: "2024-01-01T00:00:00Z", replaced: "2024-01-02T00:00:00Z" },
    ]);
    const current = index.manifests.find((d) => d.digest === m3.digest);
    expect(current?.annotations?.[Annotation.refName]).toBe("os:latest");
  });

  it("moving-a-tag-to-where-it-points-changes-nothing", () => {
    const index = tagged(m1, m2);
    expect(moveTag(index, "os", "latest", m2, "later")).toBe(index);
  });

  it("rollback-twice-returns-to-the-start", () => {
    const index = tagged(m1, m2, m3);
    const once = rollbackTag(index, "os", "latest", "t1");
    expect(once).toMatchObject({ from: m3.digest, to: m2.digest });
    expect(tagHistory(once!.index, "os", "latest").map((h) => h.manifestDigest)).toEqual([
      m3.digest,
      m1.digest,
    ]);
    const twice = rollbackTag(once!.index, "os", "latest", "t2");
    expect(currentTags(twice!.index)[0]?.descriptor.digest).toBe(m3.digest);
    expect(rollbackTag(tagged(m1), "os", "latest", "t")).toBeUndefined();
  });

  it("tags-are-independent", () => {
    let index = tagged(m1, m2);
    index = moveTag(index, "os", "stable", m1, "t");
    expect(tagHistory(index, "os", "stable")).toEqual([]);
    expect(removeTag(index, "os", "latest").manifests.map((d) => d.digest)).toEqual([m1.digest]);
    expect(removeManifest(index, m1.digest).manifests.map((d) => d.digest)).toEqual([m2.digest]);
  });

  it("prune-keeps-the-newest-history-per-tag", () => {
    const index = moveTag(tagged(m1, m2, m3), "other", "latest", m1, "t");
    const { index: pruned, pruned: dropped } = pruneHistory(index, 1);
    expect(dropped.map((d) => d.digest)).toEqual([m1.digest]);
    expect(tagHistory(pruned, "os", "latest").map((h) => h.manifestDigest)).toEqual([m2.digest]);
    expect(currentTags(pruned)).toHaveLength(2);
    expect(pruneHistory(index, 0).index.manifests).toHaveLength(2);
  });
});
