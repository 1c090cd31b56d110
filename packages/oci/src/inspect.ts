import { withCleanup } from "./cleanup.js";
import { parseTransportRef, type TransportRef } from "./reference.js";
import { ChunkAnnotation, type ImageReport, MediaType } from "./spec.js";
import { registryClientFor, type TransportOptions } from "./transport/context.js";
import { openSource } from "./transport/source.js";

/** Describes an image in any transport: digest, platform, layers (with packages when chunked), labels. */
export async function inspectImage(
  source: string | TransportRef,
  options: TransportOptions & { tags?: boolean },
): Promise<ImageReport & { tags?: string[] }> {
  const ref = typeof source === "string" ? parseTransportRef(source) : source;
  const image = await openSource(ref, options);
  return withCleanup(
    async () => {
      let tags: string[] | undefined;
      if (options.tags && ref.transport === "docker") {
        tags = await (await registryClientFor(ref.registry, options)).listTags();
      }
      return {
        reference: image.name,
        manifestDigest: image.manifestDigest,
        mediaType: MediaType.ociManifest,
        architecture: image.config.architecture,
        os: image.config.os,
        ...(image.config.created ? { created: image.config.created } : {}),
        layers: image.manifest.layers.map((l) => {
          const packages = l.annotations?.[ChunkAnnotation.layerPackages];
          return {
            digest: l.digest,
            size: l.size,
            mediaType: l.mediaType,
            ...(packages ? { packages: packages.split(",") } : {}),
          };
        }),
        annotations: { ...image.manifest.annotations },
        labels: { ...(image.config.config?.Labels ?? {}) },
        ...(tags ? { tags } : {}),
      };
    },
    () => image.close(),
  );
}
