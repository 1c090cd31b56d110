import { promises as fs } from "node:fs";
import path from "node:path";
import { isParticleError, mountOverlay, mountsBelow, run, unmount } from "@particle/runtime";
import { ociSchemaErrors, requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { MediaType } from "../src/index.js";
import { makeLowerAndUpper } from "./support/fixtures.js";
import { scratchStore } from "./support/store.js";
import { describeTree, diffTrees } from "./support/tree.js";

beforeAll(() => requireRoot());

describe("layers", () => {
  it("layer-from-overlay-upper-stacks-to-the-merged-tree", async () => {
    const dir = await scratchDir("cfs-upper");
    const { lower, upper, work, merged } = await makeLowerAndUpper(dir);
    const store = await scratchStore(dir);
    const base = await store.createLayer(lower);
    const top = await store.createLayer(upper);
    expect(base.mediaType).toBe(MediaType.particleSquashfs);
    const image = await store.commitImage({
      name: "demo",
      tag: "v1",
      layers: [base, top],
      labels: { purpose: "test" },
    });
    expect(image.layers.map((l) => l.digest)).toEqual([base.digest, top.digest]);

    await mountOverlay({ lower: [lower], upper, work, target: merged, extra: ["ro"] });
    const expected = await describeTree(merged);
    await unmount(merged);

    const target = path.join(dir, "target");
    await fs.mkdir(target);
    await store.mount("demo:v1", target);
    const actual = await describeTree(target);
    expect(diffTrees(expected, actual)).toEqual([]);
    // The features the layer had to carry, checked directly.
    expect(actual.has("etc/removed")).toBe(false);
    expect(actual.has("etc/app/conf.d/10-old.conf")).toBe(false);
    expect(actual.get("usr/bin/pinger")?.xattrs["security.capability"]).toBeDefined();
    expect(actual.get("usr/bin/pinger")?.links).toEqual(["usr/bin/pinger-link"]);
    expect(actual.get("etc/devnull")).toMatchObject({ type: "char", mode: 0o600 });
    expect(actual.get("etc/hostname")).toMatchObject({ uid: 1000, gid: 1000 });
    expect(actual.get("sparse.img")?.size).toBe(64 * 1024 * 1024 + 4);
    expect(actual.get("etc/app/main.conf")?.xattrs["user.particle.note"]).toBe("0x6b657074");
    await store.unmount(target);
    expect(await mountsBelow(dir)).toEqual([]);
  });

  it("same-tree-gives-the-same-blob-without-rewriting-it", async () => {
    const dir = await scratchDir("cfs-repro");
    const { upper } = await makeLowerAndUpper(dir);
    const store = await scratchStore(dir);
    const first = await store.createLayer(upper);
    const before = await fs.stat(store.blobPath(first.digest));
    const second = await store.createLayer(upper);
    expect(second).toEqual(first);
    const after = await fs.stat(store.blobPath(first.digest));
    expect(after.ino).toBe(before.ino);
    const erofsA = await store.createLayer(upper, { format: "erofs", sourceDateEpoch: 1700000000 });
    const erofsB = await store.createLayer(upper, { format: "erofs", sourceDateEpoch: 1700000000 });
    expect(erofsA.mediaType).toBe(MediaType.particleErofs);
    expect(erofsB.digest).toBe(erofsA.digest);
    const other = await scratchStore(path.join(dir, "other"));
    expect((await other.createLayer(upper)).digest).toBe(first.digest);
  });

  it("erofs-layers-mount-and-keep-whiteouts", async () => {
    const dir = await scratchDir("cfs-erofs");
    const { lower, upper } = await makeLowerAndUpper(dir);
    const store = await scratchStore(dir);
    const layers = [
      await store.createLayer(lower, { format: "erofs" }),
      await store.createLayer(upper, { format: "erofs" }),
    ];
    await store.commitImage({ name: "demo-erofs", layers });
    const target = path.join(dir, "t");
    await fs.mkdir(target);
    await store.mount("demo-erofs", target);
    const tree = await describeTree(target);
    expect(tree.has("etc/removed")).toBe(false);
    expect(tree.get("etc/app/conf.d/20-new.conf")?.type).toBe("file");
    expect(tree.get("usr/bin/pinger")?.xattrs["security.capability"]).toBeDefined();
    await store.unmount(target);
  });

  it("addBlob-verifies-and-deduplicates", async () => {
    const dir = await scratchDir("cfs-blob");
    const store = await scratchStore(dir);
    const file = path.join(dir, "data");
    await fs.writeFile(file, "hello\n");
    const digest = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    const added = await store.addBlob(file, { digest, mediaType: "text/plain" });
    expect(added).toEqual({ mediaType: "text/plain", digest, size: 6 });
    expect(await fs.readFile(store.blobPath(digest), "utf8")).toBe("hello\n");
    const wrong = `sha256:${"0".repeat(64)}`;
    const error = await store.addBlob(file, { digest: wrong }).catch((e: unknown) => e);
    expect(isParticleError(error, "DIGEST_MISMATCH")).toBe(true);
    await expect(fs.access(store.blobPath(wrong))).rejects.toThrow();
    expect(await fs.readdir(path.join(dir, "store/.particle/tmp"))).toEqual([]);
  });

  it("store-files-are-valid-oci-documents", async () => {
    const dir = await scratchDir("cfs-oci");
    const { upper } = await makeLowerAndUpper(dir);
    const store = await scratchStore(dir);
    const layer = await store.createLayer(upper);
    const image = await store.commitImage({
      name: "oci/check",
      tag: "1",
      layers: [layer],
      parent: "base:1",
      builtBy: "test",
    });
    await store.commitImage({
      name: "oci/check",
      tag: "1",
      layers: [layer],
      created: "2024-01-01T00:00:00Z",
    });
    const read = async (f: string) =>
      JSON.parse(await fs.readFile(path.join(store.root, f), "utf8")) as unknown;
    expect(ociSchemaErrors("image-layout-schema.json", await read("oci-layout"))).toEqual([]);
    expect(ociSchemaErrors("image-index-schema.json", await read("index.json"))).toEqual([]);
    expect(ociSchemaErrors("image-manifest-schema.json", image.manifest)).toEqual([]);
    expect(ociSchemaErrors("config-schema.json", image.config)).toEqual([]);
    expect(
      ociSchemaErrors("image-manifest-schema.json", { ...image.manifest, schemaVersion: 3 }),
    ).not.toEqual([]);
    const raw = JSON.parse(await fs.readFile(store.blobPath(image.manifestDigest), "utf8")) as unknown;
    expect(raw).toEqual(image.manifest);
    expect(image.parent).toBe("base:1");
    // An OCI tool reads the store as it is.
    const second = await store.resolve("oci/check:1");
    const { stdout } = await run("skopeo", ["inspect", `oci:${store.root}:oci/check:1`]);
    expect(JSON.parse(stdout)).toMatchObject({ Digest: second.manifestDigest, Layers: [layer.digest] });
  });
});
