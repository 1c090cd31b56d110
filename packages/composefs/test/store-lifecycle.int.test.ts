import { promises as fs } from "node:fs";
import path from "node:path";
import { requireRoot, scratchDir } from "@particle/test-kit";
import { beforeAll, describe, expect, it } from "vitest";
import { type Descriptor, MediaType, Store } from "../src/index.js";
import { codeOf, scratchStore } from "./support/store.js";

beforeAll(() => requireRoot());

async function layersIn(dir: string, store: Store, count: number): Promise<Descriptor[]> {
  const layers: Descriptor[] = [];
  for (let n = 0; n < count; n++) {
    const tree = path.join(dir, `tree${n}`);
    await fs.mkdir(tree, { recursive: true });
    await fs.writeFile(path.join(tree, "file"), `content ${n}\n`.repeat(1000));
    layers.push(await store.createLayer(tree));
  }
  return layers;
}

describe("tags, history, gc, backup", () => {
  it("rollback-returns-the-tag-to-its-previous-image-and-back", async () => {
    const dir = await scratchDir("cfs-rollback");
    const store = await scratchStore(dir);
    const [a, b, c] = await layersIn(dir, store, 3);
    if (!a || !b || !c) throw new Error("layers");
    const v1 = await store.commitImage({ name: "os", layers: [a] });
    const v2 = await store.commitImage({ name: "os", layers: [a, b] });
    const v3 = await store.commitImage({ name: "os", layers: [a, b, c] });
    expect((await store.history("os")).previous.map((h) => h.manifestDigest)).toEqual([
      v2.manifestDigest,
      v1.manifestDigest,
    ]);
    expect(await store.rollback("os")).toMatchObject({ from: v3.manifestDigest, to: v2.manifestDigest });
    expect((await store.resolve("os")).manifestDigest).toBe(v2.manifestDigest);
    await store.rollback("os");
    expect((await store.resolve("os:latest")).manifestDigest).toBe(v3.manifestDigest);
    // Committing the image a tag already points to changes nothing.
    const again = await store.commitImage({ name: "os", layers: [a, b, c], created: v3.created });
    expect(again.manifestDigest).toBe(v3.manifestDigest);
    expect((await store.history("os")).previous).toHaveLength(2);
    expect(await codeOf(store.rollback("nothing"))).toBe("NO_PREVIOUS_IMAGE");
    expect(await store.resolve(v1.manifestDigest)).toMatchObject({
      name: "os",
      tag: "latest",
      layers: v1.layers,
    });
    expect(await codeOf(store.resolve("Bad Name"))).toBe("IMAGE_REF_INVALID");
    expect(await codeOf(store.resolve("missing:1"))).toBe("IMAGE_NOT_FOUND");
  });

  it("gc-keeps-tags-recent-history-and-mounted-images-and-reports-bytes-freed", async () => {
    const dir = await scratchDir("cfs-gc");
    const store = await scratchStore(dir);
    const [a, b, c, d, loose] = await layersIn(dir, store, 5);
    if (!a || !b || !c || !d || !loose) throw new Error("layers");
    const old = await store.commitImage({ name: "os", layers: [a] });
    const mid = await store.commitImage({ name: "os", layers: [b] });
    await store.commitImage({ name: "os", layers: [c] });
    const mounted = await store.commitImage({ name: "scratch", layers: [d] });
    const target = path.join(dir, "mnt");
    await fs.mkdir(target);
    await store.mount("scratch", target);
    await store.remove("scratch");
    // A layer not yet committed is young and kept by default.
    expect((await store.gc({ keepHistory: 5 })).removed).toEqual([]);
    expect((await store.gc({ keepHistory: 1, minAgeMs: 0, dryRun: true })).historyPruned).toBe(1);
    const report = await store.gc({ keepHistory: 1, minAgeMs: 0 });
    expect(report.historyPruned).toBe(1);
    const removed = report.removed.map((r) => r.digest);
    expect(removed).toContain(old.manifestDigest);
    expect(removed).toContain(a.digest);
    expect(removed).toContain(loose.digest);
    expect(removed).not.toContain(mid.manifestDigest);
    expect(removed).not.toContain(mounted.manifestDigest);
    expect(removed).not.toContain(d.digest);
    expect(report.bytesFreed).toBe(report.removed.reduce((s, r) => s + r.size, 0));
    expect(report.bytesFreed).toBeGreaterThan(a.size);
    await store.unmount(target);
    const after = await store.gc({ keepHistory: 1, minAgeMs: 0 });
    expect(after.removed.map((r) => r.digest)).toContain(d.digest);
    expect((await store.verify()).ok).toBe(true);

    // With a tag's manifest unreadable, gc refuses instead of deleting that image's layers.
    const current = await store.resolve("os");
    await fs.rm(store.blobPath(current.manifestDigest));
    expect(await codeOf(store.gc({ minAgeMs: 0 }))).toBe("GC_REFUSED");
    await fs.access(store.blobPath(c.digest));
  });

  it("backup-and-restore-into-another-store-with-history", async () => {
    const dir = await scratchDir("cfs-backup");
    const store = await scratchStore(dir);
    const [a, b, c] = await layersIn(dir, store, 3);
    if (!a || !b || !c) throw new Error("layers");
    const v1 = await store.commitImage({ name: "os", tag: "stable", layers: [a] });
    const v2 = await store.commitImage({ name: "os", tag: "stable", layers: [a, b] });
    await store.commitImage({ name: "other", layers: [c] });
    const archive = path.join(dir, "backup.tar");
    const backup = await store.backup(["os:stable"], archive);
    expect(backup.blobs).toBe(6);
    const target = await Store.open(path.join(dir, "restored"), {
      create: true,
      runDir: path.join(dir, "run2"),
    });
    const restored = await target.restore(archive);
    expect(restored).toMatchObject({ refs: ["os:stable"], blobs: 6, reused: 0 });
    expect((await target.resolve("os:stable")).manifestDigest).toBe(v2.manifestDigest);
    expect((await target.history("os:stable")).previous.map((h) => h.manifestDigest)).toEqual([
      v1.manifestDigest,
    ]);
    expect(await codeOf(target.resolve("other"))).toBe("IMAGE_NOT_FOUND");
    expect((await target.verify()).ok).toBe(true);
    expect((await target.rollback("os:stable")).to).toBe(v1.manifestDigest);
    // Restoring again reuses every blob.
    expect((await target.restore(archive)).reused).toBe(6);

    // A damaged archive is refused and the target's tags are unchanged.
    const damaged = path.join(dir, "damaged.tar");
    const bytes = await fs.readFile(archive);
    const at = bytes.indexOf(Buffer.from("content 1"));
    bytes.write("CONTENT", at);
    await fs.writeFile(damaged, bytes);
    const fresh = await Store.open(path.join(dir, "fresh"), { create: true, runDir: path.join(dir, "run3") });
    expect(await codeOf(fresh.restore(damaged))).toBe("BACKUP_INVALID");
    expect(await fresh.list()).toEqual([]);
    await fs.writeFile(damaged, bytes.subarray(0, 3000));
    expect(await codeOf(fresh.restore(damaged))).toBe("BACKUP_INVALID");
    expect(await codeOf(store.backup(["missing"], path.join(dir, "x.tar")))).toBe("IMAGE_NOT_FOUND");
    await expect(fs.access(path.join(dir, "x.tar"))).rejects.toThrow();
  });

  it("restore-of-a-truncated-backup-fails-cleanly-at-any-cut", async () => {
    const dir = await scratchDir("cfs-truncated");
    const store = await scratchStore(dir);
    const [a] = await layersIn(dir, store, 1);
    if (!a) throw new Error("layers");
    await store.commitImage({ name: "os", tag: "stable", layers: [a] });
    const archive = path.join(dir, "backup.tar");
    await store.backup(["os:stable"], archive);
    const bytes = await fs.readFile(archive);
    const target = await Store.open(path.join(dir, "target"), {
      create: true,
      runDir: path.join(dir, "run2"),
    });
    const journal = path.join(dir, "target", ".particle", "journal");
    // Cuts inside headers, inside blob data and at block boundaries.
    for (const cut of [
      100,
      512,
      1000,
      1536,
      Math.floor(bytes.length / 2),
      bytes.length - 1100,
      bytes.length - 600,
    ]) {
      await fs.writeFile(path.join(dir, "cut.tar"), bytes.subarray(0, cut));
      expect({ cut, code: await codeOf(target.restore(path.join(dir, "cut.tar"))) }).toEqual({
        cut,
        code: "BACKUP_INVALID",
      });
      expect(await fs.readdir(journal).catch(() => [])).toEqual([]);
      expect(await target.list()).toEqual([]);
    }
  });

  it("restore-reports-only-the-images-it-tagged", async () => {
    const dir = await scratchDir("cfs-restore-report");
    const store = await scratchStore(dir);
    const [a] = await layersIn(dir, store, 1);
    if (!a) throw new Error("layers");
    await store.commitImage({ name: "os", tag: "stable", layers: [a] });
    const archive = path.join(dir, "backup.tar");
    await store.backup(["os:stable"], archive);
    // An archive whose manifest names a ref it holds no image for (same length: the tar stays valid).
    const text = (await fs.readFile(archive)).toString("latin1");
    const refs = /"refs": \[\s*"os:stable"\s*\]/.exec(text)?.[0] ?? "(refs not found)";
    expect(refs).not.toBe("(refs not found)");
    const edited = path.join(dir, "edited.tar");
    await fs.writeFile(
      edited,
      Buffer.from(text.replace(refs, refs.replace("os:stable", "os:ghost1")), "latin1"),
    );
    const target = await Store.open(path.join(dir, "target"), {
      create: true,
      runDir: path.join(dir, "run2"),
    });
    expect(await target.restore(edited)).toMatchObject({ refs: [] });
    expect(await target.list()).toEqual([]);
  });

  it("remove-drops-a-tag-or-every-tag-of-a-digest", async () => {
    const dir = await scratchDir("cfs-remove");
    const store = await scratchStore(dir);
    const [a] = await layersIn(dir, store, 1);
    if (!a) throw new Error("layers");
    const image = await store.commitImage({ name: "one", layers: [a] });
    await store.commitImage({ name: "two", layers: [a], created: image.created });
    await store.commitImage({ name: "three", layers: [a], created: image.created });
    expect((await store.remove("one")).removed).toEqual([image.manifestDigest]);
    expect((await store.list()).map((i) => i.name)).toEqual(["three", "two"]);
    await store.remove(image.manifestDigest);
    expect(await store.list()).toEqual([]);
    expect(await codeOf(store.remove("one"))).toBe("IMAGE_NOT_FOUND");
  });

  it("create-image-stacks-new-layers-on-the-base-and-records-the-parent", async () => {
    const dir = await scratchDir("cfs-create-image");
    const store = await scratchStore(dir);
    const [a] = await layersIn(dir, store, 1);
    if (!a) throw new Error("layers");
    const base = await store.commitImage({ name: "base", layers: [a] });
    const tree = path.join(dir, "app");
    await fs.mkdir(tree);
    await fs.writeFile(path.join(tree, "app"), "app\n");
    const blobsBefore = (await fs.readdir(path.join(store.root, "blobs/sha256"))).sort();
    // A missing directory is refused before any layer is built.
    expect(
      await codeOf(store.createImage({ name: "app", dirs: [tree, path.join(dir, "missing")], base: "base" })),
    ).toBe("SOURCE_NOT_DIRECTORY");
    expect((await fs.readdir(path.join(store.root, "blobs/sha256"))).sort()).toEqual(blobsBefore);

    const image = await store.createImage({
      name: "app",
      tag: "1",
      dirs: [tree],
      base: "base",
      layer: { format: "erofs" },
      labels: { role: "app" },
    });
    expect(image.layers.map((l) => l.mediaType)).toEqual([
      MediaType.particleSquashfs,
      MediaType.particleErofs,
    ]);
    expect(image.layers[0]?.digest).toBe(a.digest);
    expect(image.parent).toBe(`base@${base.manifestDigest}`);
    expect(image.labels).toEqual({ role: "app" });
    expect((await store.resolve("app:1")).manifestDigest).toBe(image.manifestDigest);
  });
});
