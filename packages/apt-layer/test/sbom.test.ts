import { describe, expect, it } from "vitest";
import { buildSbom } from "../src/debian/sbom.js";

describe("SPDX 2.3 SBOM", () => {
  const doc = buildSbom({
    image: "gaming:24.04",
    manifestDigest: `sha256:${"ab".repeat(32)}`,
    created: "2026-11-25T18:00:00.123Z",
    osId: "debian",
    packages: [
      { name: "libstdc++6", architecture: "amd64", version: "12.2.0-14" },
      { name: "vim", architecture: "amd64", version: "2:9.0.1378-2" },
    ],
    tool: "apt-layer-0.1.0",
  });

  it("has the SPDX 2.3 document fields", () => {
    expect(doc).toMatchObject({
      spdxVersion: "SPDX-2.3",
      dataLicense: "CC0-1.0",
      SPDXID: "SPDXRef-DOCUMENT",
    });
    expect(doc.creationInfo.created).toBe("2026-11-25T18:00:00Z");
    expect(doc.documentNamespace).toMatch(/^https:\/\//);
  });

  it("describes the image and contains one package per Debian package with a purl", () => {
    expect(doc.packages).toHaveLength(3);
    const vim = doc.packages.find((p) => p.name === "vim");
    expect(vim?.externalRefs?.[0]?.referenceLocator).toBe("pkg:deb/debian/vim@2%3A9.0.1378-2?arch=amd64");
    expect(doc.relationships.filter((r) => r.relationshipType === "CONTAINS")).toHaveLength(2);
    expect(doc.relationships[0]).toMatchObject({ relationshipType: "DESCRIBES" });
  });

  it("marks a package from a local .deb by its digest, claiming no supplier or purl for it", () => {
    const local = buildSbom({
      image: "tools:1",
      manifestDigest: `sha256:${"ab".repeat(32)}`,
      created: "2026-11-25T18:00:00Z",
      osId: "debian",
      packages: [
        { name: "mytool", architecture: "all", version: "1.0", origin: "local", sha256: "c".repeat(64) },
      ],
      tool: "apt-layer-0.1.0",
    }).packages[1];
    expect(local).toMatchObject({
      name: "mytool",
      packageFileName: "mytool_1.0_all.deb",
      checksums: [{ algorithm: "SHA256", checksumValue: "c".repeat(64) }],
      comment: expect.stringContaining("local .deb"),
    });
    expect(local?.supplier).toBeUndefined();
    expect(local?.externalRefs).toBeUndefined();
  });

  it("uses only characters SPDX allows in element ids", () => {
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
  });
});
