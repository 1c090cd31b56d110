import { Descriptor, Digest, MediaType, Platform, Sha256Digest } from "@particle/composefs";
import { z } from "zod";

/**
 * The wire formats this package reads and writes beyond the OCI image spec (whose documents,
 * media types and annotations @particle/composefs defines and this package re-exports): Docker's v2
 * schema 2 manifest and manifest list (registries and docker-archive), the distribution-spec bodies
 * the registry client needs, the auth file, and what `inspect` prints. Objects read from outside
 * keep unknown fields (loose) so that newer producers are not rejected.
 */

export {
  Annotation,
  Descriptor,
  Digest,
  documentBytes,
  LAYER_MEDIA_TYPES,
  MediaType,
  OciHistory,
  OciImageConfig,
  OciIndex,
  OciLayout,
  OciManifest,
  OciRuntimeConfig,
  Platform,
  Sha256Digest,
} from "@particle/composefs";

/** Docker's media types (registries and `docker save` archives). */
export const DockerMediaType = {
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  manifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  config: "application/vnd.docker.container.image.v1+json",
  layerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  layerTar: "application/vnd.docker.image.rootfs.diff.tar",
} as const;

/** Annotation keys of a chunked export (see chunk/plan.ts). */
export const ChunkAnnotation = {
  /** On a chunked export's manifest: JSON object package name → layer index. */
  chunkedPackages: "dev.particle.chunked.packages",
  /** On a chunked export's layer: the packages whose files it holds, comma-separated. */
  layerPackages: "dev.particle.layer.packages",
} as const;

const annotations = z.record(z.string(), z.string());

export const DockerManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(DockerMediaType.manifest),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type DockerManifest = z.infer<typeof DockerManifest>;

export const DockerManifestList = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(DockerMediaType.manifestList),
  manifests: z.array(Descriptor.extend({ platform: Platform })),
});
export type DockerManifestList = z.infer<typeof DockerManifestList>;

/** `manifest.json` at the root of a `docker save` tar. */
export const DockerArchiveManifest = z.array(
  z.looseObject({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullable().optional(),
    Layers: z.array(z.string()),
  }),
);
export type DockerArchiveManifest = z.infer<typeof DockerArchiveManifest>;

/** Distribution spec: the body of an error response. */
export const RegistryErrorBody = z.looseObject({
  errors: z.array(
    z.looseObject({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() }),
  ),
});
export type RegistryErrorBody = z.infer<typeof RegistryErrorBody>;

/** Distribution spec: GET /v2/<name>/tags/list. */
export const TagList = z.looseObject({ name: z.string(), tags: z.array(z.string()).nullable() });
export type TagList = z.infer<typeof TagList>;

/** The token endpoint's answer (Docker token auth, also used by distribution's bearer challenge). */
export const TokenResponse = z.looseObject({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** containers-auth.json(5), and the `auths` part of ~/.docker/config.json. */
export const AuthFile = z.looseObject({
  auths: z
    .record(
      z.string(),
      z.looseObject({
        auth: z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        identitytoken: z.string().optional(),
      }),
    )
    .optional(),
});
export type AuthFile = z.infer<typeof AuthFile>;

/** What `inspect` and `--json` print about an image (read by people and scripts). */
export const ImageReport = z.object({
  reference: z.string(),
  manifestDigest: Sha256Digest,
  mediaType: z.string(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  created: z.string().optional(),
  layers: z.array(
    z.object({
      digest: Digest,
      size: z.number(),
      mediaType: z.string(),
      packages: z.array(z.string()).optional(),
    }),
  ),
  annotations: annotations,
  labels: annotations,
});
export type ImageReport = z.infer<typeof ImageReport>;

/** Any manifest-like document: which kind it is decides how to read it. */
export function manifestKind(
  doc: unknown,
): "oci-manifest" | "oci-index" | "docker-manifest" | "docker-list" | undefined {
  if (typeof doc !== "object" || doc === null) return undefined;
  const d = doc as { mediaType?: unknown; manifests?: unknown; layers?: unknown };
  if (d.mediaType === DockerMediaType.manifest) return "docker-manifest";
  if (d.mediaType === DockerMediaType.manifestList) return "docker-list";
  if (d.mediaType === MediaType.ociIndex || (d.mediaType === undefined && Array.isArray(d.manifests)))
    return "oci-index";
  if (d.mediaType === MediaType.ociManifest || (d.mediaType === undefined && Array.isArray(d.layers)))
    return "oci-manifest";
  return undefined;
}

/** JSON Schemas of what this package prints for people and scripts (`inspect --json`). */
export const jsonSchemas = { "image-report": ImageReport } as const;
