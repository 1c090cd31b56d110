import * as composefs from "@particle/composefs";
import { moduleUnavailable } from "./errors.js";

/**
 * The part of @particle/composefs's Store that apt-layer uses (its published contract). apt-layer
 * talks to the store only through this interface, so a layer build is: mount the base image, build
 * into an overlay upper, `createLayer(upper)`, `commitImage(...)`.
 */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

export interface ImageInfo {
  readonly name: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layers: readonly Descriptor[];
  readonly created: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface CommitInput {
  readonly name: string;
  readonly tag?: string;
  readonly layers: readonly Descriptor[];
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly parent?: string;
  readonly builtBy?: string;
  readonly created?: string;
}

export interface ImageStore {
  readonly root: string;
  createLayer(
    dir: string,
    options?: {
      format?: "squashfs" | "erofs";
      compression?: string;
      level?: number;
      sourceDateEpoch?: number;
    },
  ): Promise<Descriptor>;
  commitImage(input: CommitInput): Promise<ImageInfo>;
  resolve(ref: string): Promise<ImageInfo>;
  list(): Promise<ImageInfo[]>;
  mount(
    ref: string,
    target: string,
    options?: { writable?: "tmpfs" | { upper: string; work: string } },
  ): Promise<void>;
  unmount(target: string): Promise<void>;
}

export interface OpenStoreOptions {
  /** Create the store if it does not exist. @default false */
  readonly create?: boolean;
  /** Where the store records its mounts. @default the store's default (/run/particle) */
  readonly runDir?: string;
  /** How long to wait for another writer of the store. */
  readonly lockTimeoutMs?: number;
}

interface StoreClass {
  open(root: string, options?: OpenStoreOptions): Promise<ImageStore>;
}

/** Opens (or creates) the image store at `root`. */
export async function openStore(root: string, options: OpenStoreOptions = {}): Promise<ImageStore> {
  const Store = (composefs as Record<string, unknown>).Store as StoreClass | undefined;
  if (Store === undefined) throw moduleUnavailable("@particle/composefs", "the image store");
  return Store.open(root, options);
}
