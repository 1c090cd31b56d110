import { formatBytes, table } from "@particle/cli-kit";
import type { ImageInfo } from "@particle/composefs";

/** What `list` and `create` report about an image (a stable shape, not the internal object). */
export interface ImageSummary {
  readonly ref: string;
  readonly name: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly created: string;
  readonly layers: number;
  readonly size: number;
}

export function summarize(image: ImageInfo): ImageSummary {
  return {
    // An image found by digest that no tag names is shown by its digest.
    ref: image.name ? `${image.name}:${image.tag}` : image.manifestDigest,
    name: image.name,
    tag: image.tag,
    manifestDigest: image.manifestDigest,
    created: image.created,
    layers: image.layers.length,
    size: image.layers.reduce((sum, l) => sum + l.size, 0),
  };
}

function shortDigest(digest: string): string {
  return digest.slice(7, 19);
}

export function imageTable(images: readonly ImageSummary[]): string {
  if (images.length === 0) return "no images";
  return table(
    ["IMAGE", "DIGEST", "LAYERS", "SIZE", "CREATED"],
    images.map((i) => [
      i.ref,
      shortDigest(i.manifestDigest),
      String(i.layers),
      formatBytes(i.size),
      i.created,
    ]),
  );
}
