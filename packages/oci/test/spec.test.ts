import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { ociSchemaErrors } from "@particle/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import {
  DockerManifest,
  DockerMediaType,
  descriptorOf,
  documentBytes,
  MediaType,
  type OciImageConfig,
  OciIndex,
  OciLayoutDir,
  OciManifest,
  parseImageManifest,
  selectPlatform,
} from "../src/index.js";

const temps: string[] = [];
afterEach(async () => {
  for (const d of temps.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

const config: OciImageConfig = {
  created: "2023-11-14T22:13:20Z",
  architecture: "amd64",
  os: "linux",
  config: { Env: ["PATH=/usr/bin"], Labels: { a: "b" } },
  rootfs: { type: "layers", diff_ids: [`sha256:${"1".repeat(64)}`] },
  history: [{ created: "2023-11-14T22:13:20Z", created_by: "particle export" }],
};

describe("zod schemas agree with the OCI JSON Schemas", () => {
  it("validates what the layout writer produces", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "oci-spec-"));
    temps.push(dir);
    const layout = await OciLayoutDir.open(dir, { create: true });
    const layer = await layout.putBlob(Readable.from([Buffer.from("tar bytes")]));
    const configDesc = await layout.putJson(config, MediaType.ociConfig);
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: configDesc,
      layers: [
        {
          mediaType: MediaType.ociLayerGzip,
          ...layer,
          annotations: { "dev.particle.layer.packages": "bash,libc6" },
        },
      ],
      annotations: { "dev.particle.chunked.packages": '{"bash":0}' },
    };
    const manifestDesc = await layout.putJson(manifest, MediaType.ociManifest);
    await layout.setRef(manifestDesc, "v1");
    await layout.setRef(manifestDesc, "v2");
    const index = JSON.parse(await fs.readFile(path.join(dir, "index.json"), "utf8"));
    expect(
      ociSchemaErrors(
        "image-layout-schema.json",
        JSON.parse(await fs.readFile(path.join(dir, "oci-layout"), "utf8")),
      ),
    ).toEqual([]);
    expect(ociSchemaErrors("image-index-schema.json", index)).toEqual([]);
    expect(ociSchemaErrors("image-manifest-schema.json", manifest)).toEqual([]);
    expect(ociSchemaErrors("config-schema.json", config)).toEqual([]);
    expect(
      OciIndex.parse(index).manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]),
    ).toEqual(["v1", "v2"]);
    expect((await layout.findRef("v2")).digest).toBe(manifestDesc.digest);
    await expect(layout.findRef("v3")).rejects.toMatchObject({ code: "IMAGE_NOT_FOUND" });
    await expect(layout.findRef(undefined)).rejects.toMatchObject({ code: "AMBIGUOUS_IMAGE" });
  });

  it("checks created as an RFC 3339 date-time", () => {
    expect(ociSchemaErrors("config-schema.json", { ...config, created: "yesterday" }).length).toBeGreaterThan(
      0,
    );
  });

  it("the schemas can fail: a manifest without layers' digests is rejected by both", () => {
    const bad = { schemaVersion: 2, config: { mediaType: MediaType.ociConfig, size: 1 }, layers: [] };
    expect(ociSchemaErrors("image-manifest-schema.json", bad).length).toBeGreaterThan(0);
    expect(OciManifest.safeParse(bad).success).toBe(false);
  });

  it("reads Docker v2s2 manifests as image manifests", () => {
    const doc = {
      schemaVersion: 2,
      mediaType: DockerMediaType.manifest,
      config: descriptorOf(documentBytes(config), DockerMediaType.config),
      layers: [descriptorOf(Buffer.from("x"), DockerMediaType.layerGzip)],
    };
    expect(DockerManifest.parse(doc).layers).toHaveLength(1);
    expect(parseImageManifest(documentBytes(doc), "m").layers[0]?.mediaType).toBe(DockerMediaType.layerGzip);
  });

  it("rejects malformed JSON and indexes where a manifest is expected", () => {
    expect(() => parseImageManifest(Buffer.from("{not json"), "m")).toThrow(
      expect.objectContaining({ code: "DOCUMENT_INVALID" }),
    );
    expect(() =>
      parseImageManifest(
        documentBytes({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }),
        "m",
      ),
    ).toThrow(expect.objectContaining({ code: "MEDIA_TYPE_UNSUPPORTED" }));
  });

  it("selects the platform of a multi-arch index", () => {
    const m = (arch: string, variant?: string) => ({
      ...descriptorOf(Buffer.from(arch + (variant ?? "")), MediaType.ociManifest),
      platform: { os: "linux", architecture: arch, ...(variant ? { variant } : {}) },
    });
    const list = [m("arm", "v7"), m("amd64"), m("arm64", "v8")];
    expect(selectPlatform(list, { os: "linux", architecture: "arm64" }).platform?.architecture).toBe("arm64");
    expect(selectPlatform(list, { os: "linux", architecture: "arm", variant: "v7" }).platform?.variant).toBe(
      "v7",
    );
    expect(() => selectPlatform(list, { os: "linux", architecture: "s390x" })).toThrow(
      expect.objectContaining({ code: "PLATFORM_NOT_FOUND" }),
    );
  });
});
