import { ociSchemaErrors } from "@particle/test-kit";
import { describe, expect, it } from "vitest";
import { entriesOf } from "../src/backup.js";
import { buildImageDocuments } from "../src/images.js";
import { Annotation, type Descriptor, MediaType, MountRecord } from "../src/index.js";
import { mountId, planMount } from "../src/mount.js";
import { mergeRef } from "../src/restore.js";
import { emptyIndex, moveTag, tagHistory } from "../src/tags.js";

const layer: Descriptor = {
  mediaType: MediaType.particleSquashfs,
  digest: `sha256:${"1".repeat(64)}`,
  size: 10,
};
const configDescriptor: Descriptor = {
  mediaType: MediaType.ociConfig,
  digest: `sha256:${"2".repeat(64)}`,
  size: 20,
};
const m = (n: string): Descriptor => ({
  mediaType: MediaType.ociManifest,
  digest: `sha256:${n.repeat(64)}`,
  size: 1,
});

describe("image documents", () => {
  it("config-and-manifest-are-schema-valid-and-carry-the-metadata", () => {
    const docs = buildImageDocuments({
      name: "os",
      layers: [layer],
      labels: { a: "b" },
      parent: "base:1",
      builtBy: "apt-layer",
      created: "2024-01-01T00:00:00Z",
      config: { Cmd: ["/bin/sh"] },
    });
    expect(ociSchemaErrors("config-schema.json", docs.config)).toEqual([]);
    const manifest = docs.manifest(configDescriptor);
    expect(ociSchemaErrors("image-manifest-schema.json", manifest)).toEqual([]);
    expect(docs.config.rootfs.diff_ids).toEqual([layer.digest]);
    expect(docs.config.config).toEqual({ Cmd: ["/bin/sh"], Labels: { a: "b" } });
    expect(manifest.annotations).toMatchObject({
      [Annotation.parent]: "base:1",
      [Annotation.builtBy]: "apt-layer",
      [Annotation.created]: "2024-01-01T00:00:00Z",
    });
  });
});

describe("backup merge", () => {
  it("restored-tag-becomes-current-and-the-old-one-history", () => {
    const archived = moveTag(
      moveTag(emptyIndex(), "os", "latest", m("a"), "t1"),
      "os",
      "latest",
      m("b"),
      "t2",
    );
    const local = moveTag(emptyIndex(), "os", "latest", m("c"), "t0");
    const merged = mergeRef(local, entriesOf(archived, ["os:latest"]), "os:latest", "t3");
    expect(tagHistory(merged, "os", "latest").map((h) => h.manifestDigest)).toEqual([
      m("c").digest,
      m("a").digest,
    ]);
    expect(entriesOf(archived, ["other:latest"])).toEqual([]);
  });
});

describe("mount plan", () => {
  it("records-one-mount-point-per-layer-and-the-upper", () => {
    const image = { manifestDigest: m("d").digest, layers: [layer, layer] } as never;
    const record = planMount("/run/p", "/store", "os", image, "/mnt/x/", "tmpfs");
    expect(MountRecord.safeParse(record).success).toBe(true);
    expect(record.id).toBe(mountId("/mnt/x"));
    expect(record.layers.map((l) => l.mountPoint)).toEqual([
      `/run/p/mounts/${record.id}/layer-0`,
      `/run/p/mounts/${record.id}/layer-1`,
    ]);
    expect(record.writable).toEqual({ kind: "tmpfs", tmpfs: `/run/p/mounts/${record.id}/rw` });
    expect(
      planMount("/run/p", "/store", "os", image, "/mnt/x", { upper: "u", work: "w" }).writable.kind,
    ).toBe("dir");
  });
});
