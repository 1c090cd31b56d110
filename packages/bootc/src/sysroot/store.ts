/**
 * What bootc needs from the image store (@particle/composefs's `Store` has this shape). Deployments
 * refer to images by manifest digest, so moving a tag never changes what a deployment boots.
 */
export interface StoreDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface StoreImage {
  readonly name: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layers: readonly StoreDescriptor[];
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What committing an image again needs (see deploy/store-refs.ts). */
export interface StoreCommit {
  readonly name: string;
  readonly tag: string;
  readonly layers: readonly StoreDescriptor[];
  readonly annotations?: Record<string, string>;
  readonly created?: string;
  readonly config?: Record<string, unknown>;
  readonly architecture?: string;
}

export interface DeployStore {
  readonly root: string;
  /** "name:tag", "name" or "sha256:<manifest digest>". */
  resolve(ref: string): Promise<StoreImage>;
  commitImage(input: StoreCommit): Promise<StoreImage>;
  /** Removes a tag; its blobs stay until the store's gc. */
  remove(ref: string): Promise<unknown>;
  blobPath(digest: string): string;
  /** Mounts the image read-only at `target`. */
  mount(ref: string, target: string): Promise<unknown>;
  unmount(target: string): Promise<unknown>;
}

export const LAYER_FS_TYPES: Readonly<Record<string, "squashfs" | "erofs">> = {
  "application/vnd.particle.image.layer.v1.squashfs": "squashfs",
  "application/vnd.particle.image.layer.v1.erofs": "erofs",
};
