import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import {
  destroyScratch,
  requireRoot,
  scratchDir,
  startRegistry,
  type TestRegistry,
} from "@particle/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { descriptorOf } from "../src/image/documents.js";
import { Credentials, openSource, parseTransportRef, RegistryClient } from "../src/index.js";
import { MediaType } from "../src/spec.js";

const blob = (text: string) => {
  const bytes = Buffer.from(text);
  return { bytes, desc: descriptorOf(bytes, MediaType.ociLayerTar) };
};

describe("registry client against docker-registry (anonymous)", () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("registry-anon", { scope: "manual" });
    registry = await startRegistry(dir);
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await destroyScratch(dir);
  });

  it("uploads monolithic and chunked, skips existing blobs, mounts across repositories, and pulls by tag and digest", async () => {
    const a = new RegistryClient({ host: registry.host, repository: "particle/a" });
    const chunked = new RegistryClient({ host: registry.host, repository: "particle/a", chunkSize: 1000 });
    const small = blob("hello layer");
    const big = blob("x".repeat(4500));
    expect(await a.putBlob(small.desc, () => Readable.from([small.bytes]))).toBe("uploaded");
    expect(await a.putBlob(small.desc, () => Readable.from([small.bytes]))).toBe("exists");
    expect(await chunked.putBlob(big.desc, () => Readable.from([big.bytes]))).toBe("uploaded");
    expect((await buffer(await a.getBlob(big.desc))).equals(big.bytes)).toBe(true);

    const b = new RegistryClient({ host: registry.host, repository: "particle/b" });
    expect(await b.putBlob(small.desc, () => Readable.from([small.bytes]), { mountFrom: "particle/a" })).toBe(
      "mounted",
    );

    const config = blob(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [small.desc.digest] },
      }),
    );
    await a.putBlob(config.desc, () => Readable.from([config.bytes]));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { ...config.desc, mediaType: MediaType.ociConfig },
        layers: [small.desc],
      }),
    );
    const digest = await a.putManifest(manifest, MediaType.ociManifest, "v1");
    const byTag = await a.getManifest("v1");
    expect(byTag.digest).toBe(digest);
    expect((await a.getManifest(digest)).bytes.equals(manifest)).toBe(true);
    expect(await a.listTags()).toEqual(["v1"]);
    expect(await a.hasManifest("v2")).toBe(false);
  });

  it("pulls the manifest of the wanted platform from a multi-arch index", async () => {
    const client = new RegistryClient({ host: registry.host, repository: "particle/multi" });
    const manifests = [];
    for (const architecture of ["amd64", "arm64"]) {
      const layer = blob(`layer for ${architecture}`);
      const config = blob(
        JSON.stringify({
          architecture,
          os: "linux",
          rootfs: { type: "layers", diff_ids: [layer.desc.digest] },
        }),
      );
      await client.putBlob(layer.desc, () => Readable.from([layer.bytes]));
      await client.putBlob(config.desc, () => Readable.from([config.bytes]));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { ...config.desc, mediaType: MediaType.ociConfig },
          layers: [layer.desc],
        }),
      );
      const digest = await client.putManifest(manifest, MediaType.ociManifest, `only-${architecture}`);
      manifests.push({
        mediaType: MediaType.ociManifest,
        digest,
        size: manifest.length,
        platform: { os: "linux", architecture },
      });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
    await client.putManifest(index, MediaType.ociIndex, "multi");
    const ref = parseTransportRef(`docker://${registry.host}/particle/multi:multi`);
    const arm = await openSource(ref, {
      workDir: "/nonexistent",
      platform: { os: "linux", architecture: "arm64" },
    });
    expect([arm.config.architecture, arm.manifestDigest]).toEqual(["arm64", manifests[1]?.digest]);
    await expect(
      openSource(ref, { workDir: "/nonexistent", platform: { os: "linux", architecture: "s390x" } }),
    ).rejects.toMatchObject({
      code: "PLATFORM_NOT_FOUND",
    });
  });

  it("fails with stable codes for a missing image and a corrupt download", async () => {
    const a = new RegistryClient({ host: registry.host, repository: "particle/a" });
    await expect(a.getManifest("nope")).rejects.toMatchObject({ code: "REGISTRY_NOT_FOUND" });
    const good = blob("hello layer");
    // Content-Length already tells: the download stops before the body is read.
    await expect(a.getBlob({ digest: good.desc.digest, size: 5 }).then(buffer)).rejects.toMatchObject({
      code: "BLOB_SIZE_MISMATCH",
    });
  });
});

describe("registry client against docker-registry with htpasswd basic auth", () => {
  let registry: TestRegistry;
  let dir: string;
  const password = "s3cret-Passw0rd";
  beforeAll(async () => {
    requireRoot();
    dir = await scratchDir("registry-basic", { scope: "manual" });
    registry = await startRegistry(dir, { user: "alice", password });
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) await destroyScratch(dir);
  });

  it("pushes with the right credentials", async () => {
    const client = new RegistryClient({
      host: registry.host,
      repository: "secure/img",
      credentials: new Credentials("alice", password),
    });
    const b = blob("private");
    expect(await client.putBlob(b.desc, () => Readable.from([b.bytes]))).toBe("uploaded");
  });

  it("refuses anonymous and wrong credentials without ever printing the secret", async () => {
    const anonymous = new RegistryClient({ host: registry.host, repository: "secure/img" });
    await expect(anonymous.listTags()).rejects.toMatchObject({ code: "REGISTRY_UNAUTHORIZED" });
    const logs: string[] = [];
    const wrong = "wr0ng-Passw0rd";
    const client = new RegistryClient({
      host: registry.host,
      repository: "secure/img",
      credentials: new Credentials("alice", wrong),
      logger: { debug: (fields, message) => logs.push(JSON.stringify({ fields, message })) },
    });
    const error = await client.listTags().then(
      () => undefined,
      (e: unknown) => e as Error & { toJSON(): unknown; hint?: string },
    );
    expect(error).toMatchObject({ code: "REGISTRY_UNAUTHORIZED" });
    const everything = [
      JSON.stringify(error?.toJSON()),
      error?.message,
      error?.hint,
      String(error?.stack),
      ...logs,
    ].join("\n");
    for (const secret of [wrong, Buffer.from(`alice:${wrong}`).toString("base64")])
      expect(everything).not.toContain(secret);
    expect(everything).toContain("alice");
  });
});
