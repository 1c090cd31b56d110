import { promises as fs } from "node:fs";
import path from "node:path";
import { Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import { ociSchemaErrors, requireRoot, scratchDir } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportImage, importImage, OciLayoutDir } from "../src/index.js";
import { CAPABILITY } from "./fixtures/archives.js";
import { buildTestImage, diffSignatures, treeSignature } from "./helpers/image.js";

/**
 * Export and import against real peers: skopeo reads and copies what we write, umoci unpacks it to
 * the same tree as mounting the store image, and we import what skopeo and umoci write.
 */
describe("export and import with skopeo and umoci", () => {
  let dir: string;
  let store: Store;
  let reference: Map<string, string>;
  const work = () => path.join(dir, "work");

  async function mountedSignature(ref: string): Promise<Map<string, string>> {
    const mnt = await fs.mkdtemp(path.join(dir, "mnt-"));
    await store.mount(ref, mnt);
    try {
      return await treeSignature(mnt);
    } finally {
      await store.unmount(mnt);
      await fs.rmdir(mnt);
    }
  }

  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-export", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
    await buildTestImage(store, dir);
    reference = await mountedSignature("deb:1");
  });
  afterAll(async () => {
    const { destroyScratch } = await import("@particle/test-kit");
    if (dir) await destroyScratch(dir);
  });

  it("mounting the test image shows the whiteout, the opaque dir and the capability", () => {
    expect(reference.has("etc/issue.net")).toBe(false);
    expect([...reference.keys()].filter((p) => p.startsWith("usr/share/doc/dpkg/"))).toEqual([
      "usr/share/doc/dpkg/only-this",
    ]);
    expect(reference.get("usr/local/bin/pinger")).toContain(
      `security.capability=${CAPABILITY.toString("hex")}`,
    );
  });

  it("exports a layout that validates, that skopeo inspects, reproducibly", async () => {
    const out = path.join(dir, "layout");
    const first = await exportImage(store, "deb:1", `oci:${out}:1`, { workDir: work() });
    const again = await exportImage(store, "deb:1", `oci:${path.join(dir, "layout-again")}:1`, {
      workDir: work(),
    });
    expect(again.manifestDigest).toBe(first.manifestDigest);
    expect(first.layers.map((l) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+gzip",
    ]);
    const layout = await OciLayoutDir.open(out);
    const index = await layout.readIndex();
    expect(ociSchemaErrors("image-index-schema.json", index)).toEqual([]);
    const manifest = JSON.parse(
      (await layout.readBlob(index.manifests[0] as { digest: string; size: number })).toString(),
    );
    expect(ociSchemaErrors("image-manifest-schema.json", manifest)).toEqual([]);
    expect(
      ociSchemaErrors("config-schema.json", JSON.parse((await layout.readBlob(manifest.config)).toString())),
    ).toEqual([]);
    const { stdout } = await run("skopeo", ["inspect", `oci:${out}:1`]);
    const inspected = JSON.parse(stdout) as { Digest: string; Layers: string[]; Architecture: string };
    expect(inspected.Digest).toBe(first.manifestDigest);
    expect(inspected.Layers).toEqual(first.layers.map((l) => l.digest));
  });

  it("umoci unpacks our export to the tree the store mounts", async () => {
    const bundle = path.join(dir, "bundle");
    await run("umoci", ["unpack", "--image", `${path.join(dir, "layout")}:1`, bundle]);
    const unpacked = await treeSignature(path.join(bundle, "rootfs"), {
      ignoreXattrs: /^user\.rootlesscontainers$/,
    });
    expect(diffSignatures(reference, unpacked)).toEqual([]);
  });

  it("imports its own export back to the same tree", async () => {
    const result = await importImage(store, `oci:${path.join(dir, "layout")}:1`, "back:1", {
      workDir: work(),
    });
    expect(result.layers.map((l) => l.status)).toEqual(["imported", "imported"]);
    expect(diffSignatures(reference, await mountedSignature("back:1"))).toEqual([]);
    const again = await importImage(store, `oci:${path.join(dir, "layout")}:1`, "back:2", {
      workDir: work(),
    });
    expect(again.layers.map((l) => l.status)).toEqual(["reused", "reused"]);
  });

  it("exports zstd layers to an oci-archive that skopeo copies, and imports the copy", async () => {
    const archive = path.join(dir, "img.oci.tar");
    await exportImage(store, "deb:1", `oci-archive:${archive}:1`, { workDir: work(), compression: "zstd" });
    const copy = path.join(dir, "skopeo-copy");
    await run("skopeo", ["copy", `oci-archive:${archive}:1`, `oci:${copy}:1`]);
    // Docker archives cannot hold zstd layers: skopeo converts from the gzip layout.
    await run("skopeo", [
      "copy",
      `oci:${path.join(dir, "layout")}:1`,
      `docker-archive:${path.join(dir, "img.docker.tar")}:deb:1`,
    ]);
    const fromArchive = await importImage(store, `oci-archive:${archive}:1`, "arch:1", { workDir: work() });
    expect(fromArchive.layers).toHaveLength(2);
    expect(diffSignatures(reference, await mountedSignature("arch:1"))).toEqual([]);
    await importImage(store, `oci:${copy}:1`, "copy:1", { workDir: work() });
    const fromDocker = await importImage(
      store,
      `docker-archive:${path.join(dir, "img.docker.tar")}`,
      "dock:1",
      { workDir: work() },
    );
    expect(fromDocker.layers).toHaveLength(2);
    expect(diffSignatures(reference, await mountedSignature("dock:1"))).toEqual([]);
  });

  it("imports what umoci repacks", async () => {
    const layout = path.join(dir, "umoci-layout");
    const bundle = path.join(dir, "umoci-bundle");
    await run("skopeo", ["copy", `oci:${path.join(dir, "layout")}:1`, `oci:${layout}:base`]);
    await run("umoci", ["unpack", "--image", `${layout}:base`, bundle]);
    await fs.rm(path.join(bundle, "rootfs/etc/hostname"));
    await fs.writeFile(path.join(bundle, "rootfs/etc/added-by-umoci"), "hello\n");
    await run("umoci", ["repack", "--image", `${layout}:next`, bundle]);
    const result = await importImage(store, `oci:${layout}:next`, "umoci:next", { workDir: work() });
    expect(result.layers.map((l) => l.status)).toEqual(["reused", "reused", "imported"]);
    const tree = await mountedSignature("umoci:next");
    expect(tree.has("etc/hostname")).toBe(false);
    expect(tree.get("etc/added-by-umoci")).toMatch(/^file 644 0 0 6 /);
  });
});
