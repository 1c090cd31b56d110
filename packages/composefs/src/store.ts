import { promises as fs } from "node:fs";
import path from "node:path";
import { withLock } from "@particle/runtime";
import { type BackupReport, backupImages } from "./backup.js";
import { addBlobFile, addBlobStream, type ExpectedBlob } from "./blobs.js";
import { type GcOptions, type GcReport, gcWrite } from "./gc.js";
import {
  type CommitImageInput,
  type CreateImageInput,
  commitImageWrite,
  type ImageInfo,
  listImages,
  resolveImage,
} from "./images.js";
import { buildLayer, type CreateLayerOptions, checkLayerSource, publishLayer } from "./layer.js";
import { blobFile, checkLayout, initLayout, type StorePaths, storePaths } from "./layout.js";
import {
  badLayers,
  type CleanupReport,
  cleanupMounts,
  type MountImageOptions,
  mountImage,
  readMountRecords,
  unmountImage,
} from "./mount.js";
import { type Descriptor, MediaType } from "./oci-spec.js";
import { recoverStore } from "./recovery.js";
import { type RestoreReport, restoreImages } from "./restore.js";
import type { MountRecord } from "./spec.js";
import { readTagHistory, removeWrite, rollbackWrite, type TagHistory } from "./tagops.js";
import { type VerifyReport, verifyStore } from "./verify.js";

export interface StoreOpenOptions {
  /** Create the layout if it does not exist. @default false */
  readonly create?: boolean;
  /** Where mount records live (runtime state, gone after a reboot). @default "/run/particle" */
  readonly runDir?: string;
  /** How long a writer waits for another writer. 0 fails at once with LOCK_HELD. @default 0 */
  readonly lockTimeoutMs?: number;
}

/**
 * The image store: an OCI image layout of content-addressed blobs (squashfs/erofs layers, configs,
 * manifests) and tags in index.json. Readers (resolve, list, history, verify) take no lock; writers
 * take the store's lock, and the first thing a writer does is recover what killed writers left.
 */
export class Store {
  readonly root: string;
  readonly runDir: string;
  private readonly paths: StorePaths;
  private readonly lockTimeoutMs: number;

  private constructor(root: string, options: StoreOpenOptions) {
    this.root = root;
    this.paths = storePaths(root);
    this.runDir = path.resolve(options.runDir ?? "/run/particle");
    this.lockTimeoutMs = options.lockTimeoutMs ?? 0;
  }

  static async open(root: string, options: StoreOpenOptions = {}): Promise<Store> {
    const store = new Store(path.resolve(root), options);
    if (options.create) await initLayout(store.paths);
    else await checkLayout(store.paths);
    return store;
  }

  /** Runs `body` as the store's one writer, after recovering interrupted operations. */
  private write<T>(body: () => Promise<T>, options: { minWaitMs?: number } = {}): Promise<T> {
    const timeoutMs = Math.max(this.lockTimeoutMs, options.minWaitMs ?? 0);
    return withLock(this.paths.lockDir, { purpose: `the image store ${this.root}`, timeoutMs }, async () => {
      await recoverStore(this.paths);
      return body();
    });
  }

  /**
   * Turns a directory tree (a rootfs or an overlay upper) into a layer blob. The image is built
   * without the lock; only publishing it takes the lock, waiting up to 10 minutes for it rather
   * than throwing a finished build away.
   */
  async createLayer(dir: string, options: CreateLayerOptions = {}): Promise<Descriptor> {
    const built = await buildLayer(this.paths, path.resolve(dir), options);
    try {
      return await this.write(() => publishLayer(this.paths, built), { minWaitMs: 600_000 });
    } finally {
      await fs.rm(built.staged, { force: true });
    }
  }

  /** Stores a file as a blob: hashed while copied, checked against `expected`, deduplicated. */
  addBlob(source: string, expected: ExpectedBlob = {}): Promise<Descriptor> {
    return addBlobFile(this.paths, source, expected);
  }

  /** Stores a stream as a blob (see addBlob). The stream is read to its end. */
  addBlobStream(source: AsyncIterable<Uint8Array>, expected: ExpectedBlob = {}): Promise<Descriptor> {
    return addBlobStream(this.paths, source, expected);
  }

  blobPath(digest: string): string {
    return blobFile(this.paths, digest);
  }

  /** Writes an image's config and manifest and moves its tag to it (the old target goes to history). */
  commitImage(input: CommitImageInput): Promise<ImageInfo> {
    return this.write(() => commitImageWrite(this.paths, input));
  }

  /**
   * Makes an image from directory trees, one new layer each (bottom first), on top of the layers of
   * `base` when given. Every directory is checked before the first layer is built.
   */
  async createImage(input: CreateImageInput): Promise<ImageInfo> {
    const { dirs, base, layer, ...commit } = input;
    for (const dir of dirs) await checkLayerSource(dir);
    const baseImage = base === undefined ? undefined : await this.resolve(base);
    const layers = [...(baseImage?.layers ?? [])];
    for (const dir of dirs) layers.push(await this.createLayer(dir, layer));
    return this.commitImage({
      ...commit,
      layers,
      ...(baseImage === undefined ? {} : { parent: `${base}@${baseImage.manifestDigest}` }),
    });
  }

  resolve(ref: string): Promise<ImageInfo> {
    return resolveImage(this.paths, ref);
  }

  list(): Promise<ImageInfo[]> {
    return listImages(this.paths);
  }

  history(ref: string): Promise<TagHistory> {
    return readTagHistory(this.paths, ref);
  }

  /** Moves a tag back to its previous image; a second rollback undoes the first. */
  rollback(ref: string): Promise<{ ref: string; from: string; to: string }> {
    return this.write(() => rollbackWrite(this.paths, ref));
  }

  /** Removes a tag (with its history) or every tag of a manifest digest. Space is freed by gc. */
  remove(ref: string): Promise<{ removed: string[] }> {
    return this.write(() => removeWrite(this.paths, ref));
  }

  /**
   * Mounts an image. Its layers are hashed (when not stamped yet) before the lock is taken, so that
   * the first mount of a big image does not hold up other writers; under the lock the check is
   * repeated against the fresh stamps, in case the tag moved meanwhile.
   */
  async mount(ref: string, target: string, options: MountImageOptions = {}): Promise<MountRecord> {
    if (!options.force) await badLayers(this.paths, await resolveImage(this.paths, ref));
    return this.write(() => mountImage(this.paths, this.runDir, ref, target, options));
  }

  unmount(target: string, options: { lazy?: boolean } = {}): Promise<MountRecord> {
    return this.write(() => unmountImage(this.runDir, target, options));
  }

  /** The store's mount records. */
  async mounts(): Promise<MountRecord[]> {
    return (await readMountRecords(this.runDir)).filter((r) => r.store === this.root);
  }

  /** Undoes stale mounts (crashed mid-mount, or unmounted by hand) and recovers killed operations. */
  cleanup(): Promise<CleanupReport> {
    return this.write(() => cleanupMounts(this.runDir, this.root));
  }

  verify(onBlob?: (done: number, total: number) => void): Promise<VerifyReport> {
    return verifyStore(this.paths, onBlob);
  }

  gc(options: GcOptions = {}): Promise<GcReport> {
    return this.write(async () => {
      const mounted = (await this.mounts()).map((r) => ({
        mediaType: MediaType.ociManifest,
        digest: r.manifestDigest,
        size: 0,
      }));
      return gcWrite(this.paths, mounted, options);
    });
  }

  /**
   * Writes the given tags with their history and blobs to one archive file. A reader: it takes no
   * lock, and every blob is re-hashed as it is written.
   */
  backup(refs: readonly string[], archive: string): Promise<BackupReport> {
    return backupImages(this.paths, refs, archive);
  }

  /** Restores an archive made by `backup` into this store, verifying every blob. */
  restore(archive: string): Promise<RestoreReport> {
    return this.write(() => restoreImages(this.paths, archive));
  }
}
