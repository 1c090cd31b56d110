import { Store, type StoreOpenOptions } from "@particle/composefs";

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
