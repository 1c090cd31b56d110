import { storeRef } from "../build/install.js";
import {
  decodePackageList,
  diffPackageLists,
  labelList,
  localPackageRecords,
  markLocalPackages,
  type PackageDiff,
  type PackageEntry,
} from "../debian/package-list.js";
import { buildSbom, type SpdxDocument } from "../debian/sbom.js";
import { LABELS } from "../spec.js";
import type { ImageInfo, ImageStore } from "./store.js";

/**
 * Reading an image's package metadata from its labels (written at build time from the image's own
 * dpkg database): no mount needed.
 */
export interface ImagePackages {
  readonly image: string;
  readonly manifestDigest: string;
  readonly requested: string[];
  readonly removed: string[];
  readonly packages: PackageEntry[];
}

export function imagePackages(image: ImageInfo): ImagePackages {
  return {
    image: `${image.name}:${image.tag}`,
    manifestDigest: image.manifestDigest,
    requested: labelList(image.labels, LABELS.requested),
    removed: labelList(image.labels, LABELS.removed),
    packages: markLocalPackages(
      decodePackageList(image.labels[LABELS.packages] ?? "[]"),
      localPackageRecords(image.labels),
    ),
  };
}

export async function listImagePackages(store: ImageStore, ref: string): Promise<ImagePackages> {
  return imagePackages(await store.resolve(storeRef(ref)));
}

export interface ImageDiff extends PackageDiff {
  readonly from: string;
  readonly to: string;
}

export async function diffImages(store: ImageStore, a: string, b: string): Promise<ImageDiff> {
  const from = await listImagePackages(store, a);
  const to = await listImagePackages(store, b);
  return { from: from.image, to: to.image, ...diffPackageLists(from.packages, to.packages) };
}

export async function imageSbom(store: ImageStore, ref: string, tool: string): Promise<SpdxDocument> {
  const image = await store.resolve(storeRef(ref));
  return buildSbom({
    image: `${image.name}:${image.tag}`,
    manifestDigest: image.manifestDigest,
    created: image.created,
    osId: image.labels[LABELS.os] ?? "debian",
    packages: imagePackages(image).packages,
    tool,
  });
}
