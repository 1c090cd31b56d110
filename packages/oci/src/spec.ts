import { z } from "zod";

/**
 * The wire formats this package reads and writes: the OCI image spec (descriptor, manifest, index,
 * image config, oci-layout), Docker's v2 schema 2 manifest and manifest list (registries and
 * docker-archive), and the distribution-spec bodies the registry client needs. Objects read from
 * outside keep unknown fields (loose) so that newer producers are not rejected.
 */

export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerTar: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerTar: "application/vnd.docker.image.rootfs.diff.tar",
  particleSquashfs: "application/vnd.particle.image.layer.v1.squashfs",
  particleErofs: "application/vnd.particle.image.layer.v1.erofs",
} as const;

/** Annotation keys: the OCI pre-defined ones we use and Particle's own. */
export const Annotation = {
  refName: "org.opencontainers.image.ref.name",
  created: "org.opencontainers.image.created",
  /** On a chunked export's manifest: JSON object package name → layer index. */
  chunkedPackages: "dev.particle.chunked.packages",
  /** On a chunked export's layer: the packages whose files it holds, comma-separated. */
  layerPackages: "dev.particle.layer.packages",
} as const;

const mediaTypeString = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/);
export const Digest = z
  .string()
  .regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, "not a digest (algorithm:encoded)");
export const Sha256Digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, "not a sha256 digest");
const annotations = z.record(z.string(), z.string());

export const Platform = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.looseObject({
  mediaType: mediaTypeString,
  digest: Digest,
  size: z.number().int().min(0),
  urls: z.array(z.string()).optional(),
  annotations: annotations.optional(),
  data: z.string().optional(),
  artifactType: mediaTypeString.optional(),
  platform: Platform.optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const OciManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.ociManifest).optional(),
  artifactType: mediaTypeString.optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: annotations.optional(),
});
export type OciManifest = z.infer<typeof OciManifest>;

export const OciIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.ociIndex).optional(),
  artifactType: mediaTypeString.optional(),
  manifests: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: annotations.optional(),
});
export type OciIndex = z.infer<typeof OciIndex>;

export const OciImageConfig = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  config: z
    .looseObject({
      User: z.string().optional(),
      ExposedPorts: z.record(z.string(), z.object({})).optional(),
      Env: z.array(z.string()).optional(),
      Entrypoint: z.array(z.string()).nullable().optional(),
      Cmd: z.array(z.string()).nullable().optional(),
      Volumes: z.record(z.string(), z.object({})).optional(),
      WorkingDir: z.string().optional(),
      Labels: z.record(z.string(), z.string()).nullable().optional(),
      StopSignal: z.string().optional(),
    })
    .optional(),
  rootfs: z.looseObject({ type: z.literal("layers"), diff_ids: z.array(Digest) }),
  history: z
    .array(
      z.looseObject({
        created: z.string().optional(),
        created_by: z.string().optional(),
        author: z.string().optional(),
        comment: z.string().optional(),
        empty_layer: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type OciImageConfig = z.infer<typeof OciImageConfig>;

export const OciLayout = z.looseObject({ imageLayoutVersion: z.literal("1.0.0") });
export type OciLayout = z.infer<typeof OciLayout>;

export const DockerManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.dockerManifest),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type DockerManifest = z.infer<typeof DockerManifest>;

export const DockerManifestList = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaType.dockerManifestList),
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
  if (d.mediaType === MediaType.dockerManifest) return "docker-manifest";
  if (d.mediaType === MediaType.dockerManifestList) return "docker-list";
  if (d.mediaType === MediaType.ociIndex || (d.mediaType === undefined && Array.isArray(d.manifests)))
    return "oci-index";
  if (d.mediaType === MediaType.ociManifest || (d.mediaType === undefined && Array.isArray(d.layers)))
    return "oci-manifest";
  return undefined;
}

/** JSON Schemas of what this package prints for people and scripts (`inspect --json`). */
export const jsonSchemas = { "image-report": ImageReport } as const;
