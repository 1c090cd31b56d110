import type { PackageEntry } from "./package-list.js";

/** An SPDX 2.3 document (the JSON fields apt-layer emits). */
export interface SpdxDocument {
  readonly spdxVersion: "SPDX-2.3";
  readonly dataLicense: "CC0-1.0";
  readonly SPDXID: "SPDXRef-DOCUMENT";
  readonly name: string;
  readonly documentNamespace: string;
  readonly creationInfo: { readonly created: string; readonly creators: string[] };
  readonly packages: SpdxPackage[];
  readonly relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

interface SpdxPackage {
  readonly SPDXID: string;
  readonly name: string;
  readonly versionInfo: string;
  readonly downloadLocation: "NOASSERTION";
  readonly filesAnalyzed: false;
  readonly licenseConcluded: "NOASSERTION";
  readonly licenseDeclared: "NOASSERTION";
  readonly copyrightText: "NOASSERTION";
  readonly primaryPackagePurpose: "OPERATING-SYSTEM" | "LIBRARY" | "CONTAINER";
  readonly supplier?: string;
  readonly packageFileName?: string;
  readonly comment?: string;
  readonly checksums?: { algorithm: "SHA256"; checksumValue: string }[];
  readonly externalRefs?: {
    referenceCategory: "PACKAGE-MANAGER";
    referenceType: "purl";
    referenceLocator: string;
  }[];
}

export interface SbomInput {
  readonly image: string;
  readonly manifestDigest: string;
  /** Image creation time (keeps the document reproducible). */
  readonly created: string;
  /** `ID` of the image's os-release (debian, ubuntu), the purl namespace. */
  readonly osId: string;
  readonly packages: readonly PackageEntry[];
  readonly tool: string;
}

/** SPDX element ids allow letters, digits, `.` and `-` only. */
function spdxId(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]/g, "-");
}

/** Builds an SPDX 2.3 document describing an image and its Debian packages (pure). */
export function buildSbom(input: SbomInput): SpdxDocument {
  const hex = input.manifestDigest.replace(/^sha256:/, "");
  const imageId = `SPDXRef-Image-${spdxId(input.image)}`;
  const image: SpdxPackage = {
    SPDXID: imageId,
    name: input.image,
    versionInfo: input.manifestDigest,
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    licenseConcluded: "NOASSERTION",
    licenseDeclared: "NOASSERTION",
    copyrightText: "NOASSERTION",
    primaryPackagePurpose: "OPERATING-SYSTEM",
    checksums: [{ algorithm: "SHA256", checksumValue: hex }],
  };
  const packages = input.packages.map((p): SpdxPackage => {
    const common = {
      SPDXID: `SPDXRef-Package-${spdxId(`${p.name}-${p.architecture}-${p.version}`)}`,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      copyrightText: "NOASSERTION",
      primaryPackagePurpose: "LIBRARY",
    } as const;
    // A local .deb is not the distribution's: no supplier or purl claims it is, its digest identifies it.
    if (p.origin === "local")
      return {
        ...common,
        packageFileName: `${p.name}_${p.version}_${p.architecture}.deb`,
        comment: "Installed from a local .deb file, not from a package archive.",
        ...(p.sha256 ? { checksums: [{ algorithm: "SHA256", checksumValue: p.sha256 }] } : {}),
      };
    return {
      ...common,
      supplier: `Organization: ${input.osId}`,
      externalRefs: [
        {
          referenceCategory: "PACKAGE-MANAGER",
          referenceType: "purl",
          referenceLocator: `pkg:deb/${input.osId}/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}?arch=${encodeURIComponent(p.architecture)}`,
        },
      ],
    };
  });
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: input.image,
    documentNamespace: `https://particle.dev/spdx/${encodeURIComponent(input.image)}-${hex}`,
    creationInfo: { created: input.created.replace(/\.\d+Z$/, "Z"), creators: [`Tool: ${input.tool}`] },
    packages: [image, ...packages],
    relationships: [
      { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: imageId },
      ...packages.map((p) => ({
        spdxElementId: imageId,
        relationshipType: "CONTAINS",
        relatedSpdxElement: p.SPDXID,
      })),
    ],
  };
}
