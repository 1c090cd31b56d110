import { describe, expect, it } from "vitest";
import { ociSchemaErrors } from "../src/index.js";

const layer = {
  mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
  digest: `sha256:${"a".repeat(64)}`,
  size: 10,
};

describe("ociSchemaErrors", () => {
  it("accepts a valid manifest", () => {
    const manifest = {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { ...layer, mediaType: "application/vnd.oci.image.config.v1+json" },
      layers: [layer],
    };
    expect(ociSchemaErrors("image-manifest-schema.json", manifest)).toEqual([]);
  });

  it("reports what is wrong with an invalid one", () => {
    const errors = ociSchemaErrors("image-manifest-schema.json", {
      schemaVersion: 2,
      layers: [{ ...layer, digest: "md5:x" }],
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toMatch(/config|digest/);
  });
});
