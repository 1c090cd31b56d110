import { ociArchitecture, sha256Hex } from "@particle/runtime";
import type { z } from "zod";
import { ociError } from "../errors.js";
import { LIMITS } from "../limits.js";
import {
  type Descriptor,
  DockerManifest,
  DockerManifestList,
  DockerMediaType,
  MediaType,
  manifestKind,
  OciImageConfig,
  OciIndex,
  OciManifest,
  type Platform,
} from "../spec.js";

/** Building and parsing the JSON documents of an image (pure). */

export function descriptorOf(
  bytes: Uint8Array,
  mediaType: string,
  extra: Partial<Descriptor> = {},
): Descriptor {
  return { mediaType, digest: `sha256:${sha256Hex(bytes)}`, size: bytes.length, ...extra };
}

/**
 * Parses JSON from outside, as DOCUMENT_INVALID on failure. The message gives the position only:
 * V8's own message quotes the text, and the text may be a file the input pointed at.
 */
export function parseJson(bytes: Uint8Array | string, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw ociError(
      "DOCUMENT_INVALID",
      `${what} is not valid JSON${position ? ` (at byte ${position})` : ""}`,
    );
  }
}

/** Parses JSON from outside with a schema, as DOCUMENT_INVALID on failure. */
export function parseDocument<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array | string,
  what: string,
): z.infer<S> {
  const value = parseJson(bytes, what);
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw ociError(
      "DOCUMENT_INVALID",
      `${what} is not valid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/** An image manifest in OCI terms, whichever format it came in. */
export interface NormalizedManifest {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations: Readonly<Record<string, string>>;
}

/** Reads a single-image manifest (OCI or Docker v2s2); an index is an error here (pure). */
export function parseImageManifest(bytes: Uint8Array, what: string): NormalizedManifest {
  const raw = parseDocument(OciManifest.or(DockerManifest).or(OciIndex).or(DockerManifestList), bytes, what);
  const kind = manifestKind(raw);
  if (kind === "oci-manifest" || kind === "docker-manifest") {
    const m = raw as OciManifest;
    checkLayerCount(m.layers.length, what);
    return { config: m.config, layers: m.layers, annotations: m.annotations ?? {} };
  }
  throw ociError(
    "MEDIA_TYPE_UNSUPPORTED",
    `${what} is ${kind ?? "of an unknown kind"}, not an image manifest`,
  );
}

/** Refuses an image with more layers than can be stacked (LIMITS.layersPerImage), before anything is downloaded. */
export function checkLayerCount(count: number, what: string): void {
  if (count > LIMITS.layersPerImage)
    throw ociError(
      "IMAGE_TOO_MANY_LAYERS",
      `${what} has ${count} layers, more than the ${LIMITS.layersPerImage} allowed`,
      {
        context: { layers: count, limit: LIMITS.layersPerImage },
      },
    );
}

export function parseConfig(bytes: Uint8Array): OciImageConfig {
  return parseDocument(OciImageConfig, bytes, "image config");
}

/** Layer media types we can unpack, and whether they are tars. */
export function layerKind(mediaType: string): "tar" | "native" {
  switch (mediaType) {
    case MediaType.ociLayerTar:
    case MediaType.ociLayerGzip:
    case MediaType.ociLayerZstd:
    case DockerMediaType.layerGzip:
    case DockerMediaType.layerTar:
    case "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
      return "tar";
    case MediaType.particleSquashfs:
    case MediaType.particleErofs:
      return "native";
    default:
      throw ociError("MEDIA_TYPE_UNSUPPORTED", `layer media type ${mediaType} is not supported`, {
        context: { mediaType },
      });
  }
}

export interface PlatformWanted {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** This machine's platform in OCI words. */
export function hostPlatform(): PlatformWanted {
  return { os: "linux", architecture: ociArchitecture() };
}

/** Parses `os/arch[/variant]` (the --platform flag). */
export function parsePlatform(text: string): PlatformWanted {
  const [os, architecture, variant] = text.split("/");
  if (!os || !architecture)
    throw ociError("REF_INVALID", `platform ${text} is not os/arch[/variant]`, {
      hint: "For example: linux/amd64 or linux/arm64/v8",
    });
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Picks the manifest for a platform from an index (pure). */
export function selectPlatform(manifests: readonly Descriptor[], wanted: PlatformWanted): Descriptor {
  const match = (p: Platform | undefined) =>
    p !== undefined &&
    p.os === wanted.os &&
    p.architecture === wanted.architecture &&
    (wanted.variant === undefined || p.variant === wanted.variant);
  const found = manifests.find((m) => match(m.platform));
  if (found) return found;
  // An index without platforms (an oci layout of one image) has one obvious choice.
  const images = manifests.filter(
    (m) => m.mediaType !== MediaType.ociIndex && m.mediaType !== DockerMediaType.manifestList,
  );
  const only = images.length === 1 ? images[0] : undefined;
  if (only && only.platform === undefined) return only;
  throw ociError(
    "PLATFORM_NOT_FOUND",
    `no image for ${wanted.os}/${wanted.architecture}${wanted.variant ? `/${wanted.variant}` : ""} in the index`,
    {
      context: {
        available: manifests
          .map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : "?"))
          .join(","),
      },
    },
  );
}
