import { promises as fs } from "node:fs";
import path from "node:path";
import { type ImageInfo, Store } from "@particle/composefs";
import { run } from "@particle/runtime";
import {
  destroyScratch,
  requireRoot,
  scratchDir,
  startRegistry,
  type TestRegistry,
} from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChunkAnnotation, exportImage, importImage, OciLayoutDir } from "../src/index.js";
import { buildTestImage, diffSignatures, treeSignature } from "./helpers/image.js";
import { upgradeOnePackage } from "./helpers/upgrade.js";

/** Push and pull through a real docker-registry, native artifacts, and package-chunked exports. */
describe("registry transport and chunked export", () => {
  let dir: string;
  let store: Store;
  let image: ImageInfo;
  let registry: TestRegistry;
  let reference: Map<string, string>;
  const work = () => path.join(dir, "work");

  async function signature(s: Store, ref: string): Promise<Map<string, string>> {
    const mnt = await fs.mkdtemp(path.join(dir, "mnt-"));
    await s.mount(ref, mnt);
    try {
      return await treeSignature(mnt);
    } finally {
      await s.unmount(mnt);
      await fs.rmdir(mnt);
    }
  }

  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-registry", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
    image = await buildTestImage(store, dir);
    reference = await signature(store, "deb:1");
    await fs.mkdir(path.join(dir, "registry"));
    registry = await startRegistry(path.join(dir, "registry"));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await destroyScratch(dir);
  });

  it("pushes to a registry that skopeo reads, and pulls back the same tree", async () => {
    const ref = `docker://${registry.host}/particle/deb:1`;
    const pushed = await exportImage(store, "deb:1", ref, { workDir: work(), chunkSize: 8 * 1024 * 1024 });
    expect(pushed.layers.map((l) => l.status)).toEqual(["uploaded", "uploaded"]);
    const again = await exportImage(store, "deb:1", ref, { workDir: work() });
    expect(again.layers.map((l) => l.status)).toEqual(["exists", "exists"]);
    const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", ref]);
    expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(pushed.manifestDigest);
    const other = await Store.open(path.join(dir, "store2"), {
      create: true,
      runDir: path.join(dir, "run2"),
    });
    await importImage(other, ref, "pulled:1", { workDir: work() });
    expect(diffSignatures(reference, await signature(other, "pulled:1"))).toEqual([]);
  });

  it("ships native squashfs layers unchanged and pulls them without converting", async () => {
    const ref = `docker://${registry.host}/particle/native:1`;
    const pushed = await exportImage(store, "deb:1", ref, { workDir: work(), format: "native" });
    expect(pushed.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    const other = await Store.open(path.join(dir, "store3"), {
      create: true,
      runDir: path.join(dir, "run3"),
    });
    const pulled = await importImage(other, ref, "native:1", { workDir: work() });
    expect(pulled.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
    expect(diffSignatures(reference, await signature(other, "native:1"))).toEqual([]);
  });

  it("chunks by package: umoci sees the same tree, and upgrading one package changes two layers", async () => {
    const first = path.join(dir, "chunked-1");
    const result = await exportImage(store, "deb:1", `oci:${first}:1`, {
      workDir: work(),
      chunked: true,
      maxLayers: 12,
    });
    expect(result.layers.length).toBeLessThanOrEqual(12);
    expect(result.layers.length).toBeGreaterThan(5);
    const layout = await OciLayoutDir.open(first);
    const manifest = JSON.parse((await layout.readBlob(await layout.findRef("1"))).toString()) as {
      annotations: Record<string, string>;
    };
    const map = JSON.parse(manifest.annotations[ChunkAnnotation.chunkedPackages] as string) as Record<
      string,
      number
    >;
    expect(map.libc6).toBeTypeOf("number");

    await run("umoci", ["unpack", "--image", `${first}:1`, path.join(dir, "chunked-bundle")]);
    expect(
      diffSignatures(reference, await treeSignature(path.join(dir, "chunked-bundle", "rootfs"))),
    ).toEqual([]);

    await upgradeOnePackage(store, dir, "deb:1", "deb:2", "hostname");
    const second = await exportImage(store, "deb:2", `oci:${path.join(dir, "chunked-2")}:2`, {
      workDir: work(),
      chunked: true,
      maxLayers: 12,
    });
    const before = new Set(result.layers.map((l) => l.digest));
    const changed = second.layers.filter((l) => !before.has(l.digest));
    expect(changed).toHaveLength(2);
    expect(changed[0]?.packages).toContain("hostname");
    expect(changed[1]?.packages).toEqual([]);
  });
});
