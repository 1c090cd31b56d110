import { type ImageInfo, Store, type StoreOpenOptions } from "@particle/composefs";
import { isParticleError } from "@particle/runtime";

/**
 * apt-layer builds through @particle/composefs's store: mount the base image, build into an
 * overlay upper, `createLayer(upper)`, `commitImage(...)`.
 */
export type ImageStore = Store;
export type { Descriptor, ImageInfo } from "@particle/composefs";
export type OpenStoreOptions = StoreOpenOptions;

/** Opens (or with `create`, creates) the image store at `root`. */
export function openStore(root: string, options: OpenStoreOptions = {}): Promise<ImageStore> {
  return Store.open(root, options);
}

/**
 * The image `ref` names, or `undefined` when the store has no such image. Any other failure (a
 * corrupt index, an I/O error) propagates: it must not pass for "not there".
 */
export async function findImage(store: ImageStore, ref: string): Promise<ImageInfo | undefined> {
  try {
    return await store.resolve(ref);
  } catch (error) {
    if (isParticleError(error, "IMAGE_NOT_FOUND")) return undefined;
    throw error;
  }
}
