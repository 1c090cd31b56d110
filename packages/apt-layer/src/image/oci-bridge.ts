import { type ExportOptions, exportImage, type ImportOptions, importImage } from "@particle/oci";
import { storeRef } from "../build/install.js";
import { formatImageRef, parseImageRef } from "../debian/names.js";
import type { ImageStore } from "./store.js";

/**
 * `--oci-export` / `--oci-import`: OCI transport belongs to @particle/oci; apt-layer only names the
 * image and the reference (a registry reference, `oci:DIR`, `oci-archive:FILE`, `docker-archive:FILE`).
 * An imported image is an ordinary store image, usable as a base.
 */
export function ociExport(store: ImageStore, image: string, destination: string, options: ExportOptions) {
  return exportImage(store, storeRef(image), destination, options);
}

export function ociImport(store: ImageStore, source: string, image: string, options: ImportOptions) {
  return importImage(store, source, formatImageRef(parseImageRef(image)), options);
}
