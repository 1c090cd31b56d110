import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { Store } from "@particle/composefs";
import { sha256Hex } from "@particle/runtime";
import { destroyScratch, requireRoot, scratchDir } from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importImage, MediaType, OciLayoutDir } from "../src/index.js";
import { dir as dirEntry, file, makeTar, symlink, zeroBomb } from "./fixtures/archives.js";

interface LayoutSpec {
  readonly layers: readonly Buffer[];
  readonly mediaType?: string;
  readonly diffIds?: readonly string[];
  /** Changes a stored layer blob after its descriptor was written. */
  readonly tamper?: (blob: Buffer) => Buffer;
  readonly manifestBytes?: Buffer;
}

/** Writes a one-image OCI layout from raw layer bytes (gzip-compressed as given). */
async function makeLayout(root: string, spec: LayoutSpec): Promise<string> {
  const layout = await OciLayoutDir.open(root, { create: true });
  const descs = [];
  for (const tar of spec.layers) {
    const blob = gzipSync(tar);
    const stored = await layout.putBlob(Readable.from([blob]));
    if (spec.tamper) await fs.writeFile(layout.blobPath(stored.digest), spec.tamper(blob));
    descs.push({ mediaType: spec.mediaType ?? MediaType.ociLayerGzip, ...stored });
  }
  const config = await layout.putJson(
    {
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: spec.diffIds ?? spec.layers.map((t) => `sha256:${sha256Hex(t)}`) },
    },
    MediaType.ociConfig,
  );
  const manifest = spec.manifestBytes
    ? await layout.putBytes(spec.manifestBytes, MediaType.ociManifest)
    : await layout.putJson(
        { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: descs },
        MediaType.ociManifest,
      );
  await layout.setRef(manifest, "t");
  return `oci:${root}:t`;
}

async function storeState(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await fs.readdir(dir)).sort()) {
      const p = path.join(dir, name);
      const stat = await fs.lstat(p);
      if (stat.isDirectory()) await walk(p);
      else
        out.push(
          `${path.relative(root, p)} ${stat.size} ${stat.isFile() ? sha256Hex(await fs.readFile(p)) : ""}`,
        );
    }
  };
  await walk(root);
  return out;
}

describe("importing hostile images leaves the store unchanged", () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("oci-hostile", { scope: "manual" });
    store = await Store.open(path.join(dir, "store"), { create: true, runDir: path.join(dir, "run") });
  });
  afterAll(async () => dir && destroyScratch(dir));

  it("imports a well-formed small image (the control case)", async () => {
    const ref = await makeLayout(path.join(dir, "good"), {
      layers: [await makeTar([dirEntry("etc"), file("etc/hostname", "ok\n")])],
    });
    const result = await importImage(store, ref, "good:1", { workDir: path.join(dir, "work") });
    expect(result.layers).toHaveLength(1);
  });

  it.each<[string, () => Promise<LayoutSpec>, string]>([
    [
      "a layer blob changed after it was described",
      async () => ({
        layers: [await makeTar([file("a", "1")])],
        tamper: (b) => Buffer.concat([b.subarray(0, -1), Buffer.from([b.at(-1)! ^ 1])]),
      }),
      "BLOB_DIGEST_MISMATCH",
    ],
    [
      "a truncated layer blob",
      async () => ({
        layers: [await makeTar([file("a", "x".repeat(5000))])],
        tamper: (b) => b.subarray(0, b.length - 10),
      }),
      "BLOB_SIZE_MISMATCH",
    ],
    [
      "a diffID that does not match the layer",
      async () => ({ layers: [await makeTar([file("a", "1")])], diffIds: [`sha256:${"0".repeat(64)}`] }),
      "BLOB_DIGEST_MISMATCH",
    ],
    [
      "a path traversal inside a layer",
      async () => ({ layers: [await makeTar([file("../../../../tmp/pwned", "x")])] }),
      "TAR_PATH_TRAVERSAL",
    ],
    [
      "a write through a symlink",
      async () => ({ layers: [await makeTar([symlink("etc", "/etc"), file("etc/cron.d/evil", "x")])] }),
      "TAR_WRITE_THROUGH_SYMLINK",
    ],
    [
      "an unknown layer media type",
      async () => ({ layers: [await makeTar([file("a", "1")])], mediaType: "application/x-evil" }),
      "MEDIA_TYPE_UNSUPPORTED",
    ],
    [
      "a malformed manifest",
      async () => ({ layers: [], manifestBytes: Buffer.from('{"schemaVersion": 2, "layers": [') }),
      "DOCUMENT_INVALID",
    ],
    [
      "a manifest of the wrong shape",
      async () => ({
        layers: [],
        manifestBytes: Buffer.from(
          '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": "x"}',
        ),
      }),
      "DOCUMENT_INVALID",
    ],
  ])("%s", async (name, build, code) => {
    const before = await storeState(store.root);
    const ref = await makeLayout(path.join(dir, name.replace(/\W+/g, "-")), await build());
    await expect(
      importImage(store, ref, "evil:1", { workDir: path.join(dir, "work") }),
    ).rejects.toMatchObject({ code });
    expect(await storeState(store.root)).toEqual(before);
    await expect(fs.access("/tmp/pwned")).rejects.toThrow();
    expect(await fs.readdir(path.join(dir, "work"))).toEqual([]);
  });

  it("stops a decompression bomb", async () => {
    const before = await storeState(store.root);
    const root = path.join(dir, "bomb");
    const layout = await OciLayoutDir.open(root, { create: true });
    const bomb = await zeroBomb(64 * 1024 * 1024);
    const stored = await layout.putBlob(Readable.from([bomb]));
    const config = await layout.putJson(
      {
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [`sha256:${"1".repeat(64)}`] },
      },
      MediaType.ociConfig,
    );
    await layout.setRef(
      await layout.putJson(
        { schemaVersion: 2, config, layers: [{ mediaType: MediaType.ociLayerGzip, ...stored }] },
        MediaType.ociManifest,
      ),
      "t",
    );
    await expect(
      importImage(store, `oci:${root}:t`, "bomb:1", {
        workDir: path.join(dir, "work"),
        limits: { maxRatio: 100, ratioGraceBytes: 1024 * 1024 },
      }),
    ).rejects.toMatchObject({ code: "DECOMPRESSION_LIMIT" });
    expect(await storeState(store.root)).toEqual(before);
  });
});
