import { promises as fs } from "node:fs";
import path from "node:path";
import {
  API_VERSION,
  failpoint,
  listMounts,
  type MountEntry,
  mkdirDurable,
  mount,
  mountImageFile,
  mountOverlay,
  type ParticleError,
  readFileIfExists,
  sha256Hex,
  unmount,
  writeJsonAtomic,
} from "@particle/runtime";
import { checkBlob } from "./blobcheck.js";
import { StoreErrors } from "./errors.js";
import { type ImageInfo, resolveImage } from "./images.js";
import { type LayerFormat, layerFormatOf } from "./layer.js";
import { blobFile, parseJson, type StorePaths } from "./layout.js";
import { MountRecord } from "./spec.js";

/**
 * Mount stacks: each layer blob is loop-mounted read-only and the layers are stacked with overlayfs
 * at the target, read-only or over a writable upper. Everything mounted is first written to a record
 * in `<run>/mounts/<id>.json`, so `unmount` and `cleanup` undo exactly that, also after a crash in
 * the middle of a mount. Layer mount points live beside the record, in `<run>/mounts/<id>/`.
 */

export type Writable = "tmpfs" | { readonly upper: string; readonly work: string };

export interface MountImageOptions {
  /** A writable upper: a fresh tmpfs, or the caller's upper and work directories (same filesystem). */
  readonly writable?: Writable;
  /** Mount even if a layer is missing or corrupt. @default false */
  readonly force?: boolean;
}

export function mountsDir(runDir: string): string {
  return path.join(runDir, "mounts");
}

/** The record id of a target: one record per mount point. */
export function mountId(target: string): string {
  return sha256Hex(path.resolve(target)).slice(0, 16);
}

function recordFile(runDir: string, id: string): string {
  return path.join(mountsDir(runDir), `${id}.json`);
}

export async function readMountRecord(runDir: string, id: string): Promise<MountRecord | undefined> {
  const file = recordFile(runDir, id);
  const text = await readFileIfExists(file);
  return text === undefined ? undefined : parseJson(file, text, MountRecord);
}

/** Every mount record in the run dir (of any store). */
export async function readMountRecords(runDir: string): Promise<MountRecord[]> {
  const names = await readdirIfPresent(mountsDir(runDir));
  const records: MountRecord[] = [];
  for (const name of names.filter((n) => /^[a-f0-9]{16}\.json$/.test(n)).sort()) {
    const record = await readMountRecord(runDir, name.slice(0, 16));
    if (record) records.push(record);
  }
  return records;
}

function layerFsType(mediaType: string): LayerFormat {
  const format = layerFormatOf(mediaType);
  if (format === undefined) throw StoreErrors.layerNotMountable(mediaType);
  return format;
}

/** The mount record for stacking `image` at `target` (pure). */
export function planMount(
  runDir: string,
  storeRoot: string,
  ref: string,
  image: ImageInfo,
  target: string,
  writable: Writable | undefined,
): MountRecord {
  const id = mountId(target);
  const dir = path.join(mountsDir(runDir), id);
  return {
    apiVersion: API_VERSION,
    kind: "StoreMount",
    id,
    target: path.resolve(target),
    store: storeRoot,
    ref,
    manifestDigest: image.manifestDigest,
    layers: image.layers.map((l, i) => ({ digest: l.digest, mountPoint: path.join(dir, `layer-${i}`) })),
    writable:
      writable === undefined
        ? { kind: "ro" }
        : writable === "tmpfs"
          ? { kind: "tmpfs", tmpfs: path.join(dir, "rw") }
          : { kind: "dir", upper: path.resolve(writable.upper), work: path.resolve(writable.work) },
    state: "mounting",
    pid: process.pid,
    createdAt: new Date().toISOString(),
  };
}

async function checkTarget(target: string, mounts: readonly MountEntry[]): Promise<void> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat?.isDirectory()) throw StoreErrors.targetBusy(target, "it is not an existing directory");
  if (mounts.some((m) => m.mountPoint === target))
    throw StoreErrors.targetBusy(target, "it is already a mount point");
}

/** Layers of the image that are missing or do not match their digest (stamps trusted, see blobcheck.ts). */
export async function badLayers(paths: StorePaths, image: ImageInfo): Promise<string[]> {
  const bad: string[] = [];
  for (const layer of image.layers) {
    if ((await checkBlob(paths, layer.digest, { cached: true, size: layer.size })) !== "ok")
      bad.push(layer.digest);
  }
  return bad;
}

/** Loop-mounts the layers and stacks them at the target, recording each step first. */
export async function mountImage(
  paths: StorePaths,
  runDir: string,
  ref: string,
  target: string,
  options: MountImageOptions = {},
): Promise<MountRecord> {
  const resolvedTarget = path.resolve(target);
  const existing = await readMountRecord(runDir, mountId(resolvedTarget));
  const mounts = await listMounts();
  if (existing !== undefined) {
    if (mounts.some((m) => m.mountPoint === resolvedTarget))
      throw StoreErrors.targetBusy(resolvedTarget, `the store already mounted ${existing.ref} there`);
    await undoMount(runDir, existing);
  }
  await checkTarget(resolvedTarget, mounts);
  const image = await resolveImage(paths, ref);
  for (const layer of image.layers) layerFsType(layer.mediaType);
  if (!options.force) {
    const bad = await badLayers(paths, image);
    if (bad.length > 0) throw StoreErrors.corruptLayer(ref, bad);
  }
  const record = planMount(runDir, paths.root, ref, image, resolvedTarget, options.writable);
  await mkdirDurable(mountsDir(runDir));
  await writeJsonAtomic(recordFile(runDir, record.id), record);
  try {
    await stack(paths, runDir, record, image);
    failpoint("store.mount/stacked");
    await writeJsonAtomic(recordFile(runDir, record.id), {
      ...record,
      state: "mounted",
    } satisfies MountRecord);
  } catch (error) {
    // The mount's own error is what the caller needs; if undoing fails too, the record stays
    // and `cleanup` finishes the job.
    await undoMount(runDir, record).catch(() => undefined);
    throw error;
  }
  return { ...record, state: "mounted" };
}

/**
 * Creates an upper directory with the top layer's root mode and owner: overlayfs shows the upper's
 * root as the stack's root. An existing upper (a caller's, kept across mounts) is left as it is.
 */
async function createUpperLike(upper: string, topLayer: string | undefined): Promise<void> {
  await fs.mkdir(path.dirname(upper), { recursive: true });
  try {
    await fs.mkdir(upper);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw error;
  }
  if (topLayer === undefined) return;
  const root = await fs.stat(topLayer);
  await fs.chown(upper, root.uid, root.gid);
  await fs.chmod(upper, root.mode & 0o7777);
}

async function stack(
  paths: StorePaths,
  runDir: string,
  record: MountRecord,
  image: ImageInfo,
): Promise<void> {
  for (const [i, layer] of record.layers.entries()) {
    await fs.mkdir(layer.mountPoint, { recursive: true });
    await mountImageFile(
      blobFile(paths, layer.digest),
      layer.mountPoint,
      layerFsType(image.layers[i]?.mediaType ?? ""),
    );
  }
  const lower = record.layers.map((l) => l.mountPoint).reverse();
  let upper: { upper: string; work: string } | undefined;
  if (record.writable.kind === "tmpfs") {
    await fs.mkdir(record.writable.tmpfs, { recursive: true });
    await mount({ source: "tmpfs", target: record.writable.tmpfs, type: "tmpfs", options: ["mode=0755"] });
    upper = {
      upper: path.join(record.writable.tmpfs, "upper"),
      work: path.join(record.writable.tmpfs, "work"),
    };
  } else if (record.writable.kind === "dir") {
    upper = { upper: record.writable.upper, work: record.writable.work };
  }
  if (upper) {
    await createUpperLike(upper.upper, lower[0]);
    await fs.mkdir(upper.work, { recursive: true });
  }
  // overlayfs needs two lower layers without an upper and one with it: pad with empty ones at the bottom.
  while (lower.length < (upper ? 1 : 2)) {
    const empty = path.join(mountsDir(runDir), record.id, `empty-${lower.length}`);
    await fs.mkdir(empty, { recursive: true });
    lower.push(empty);
  }
  await mountOverlay({ lower, target: record.target, ...(upper ?? {}) });
}

async function mountedSet(): Promise<Set<string>> {
  return new Set((await listMounts()).map((m) => m.mountPoint));
}

function isBusy(error: unknown): boolean {
  return /busy/i.test(String((error as ParticleError).context?.stderr ?? (error as Error).message));
}

/**
 * Undoes what a record says was mounted, top first: the overlay, the tmpfs, then each layer, then
 * removes the (now empty) mount point directories and the record. Paths that are not mount points
 * (never mounted, or already undone) are skipped, so this is idempotent and safe after a crash.
 */
export async function undoMount(
  runDir: string,
  record: MountRecord,
  options: { lazy?: boolean } = {},
): Promise<void> {
  if ((await mountedSet()).has(record.target)) {
    try {
      await unmount(record.target, options);
    } catch (error) {
      if (isBusy(error)) throw StoreErrors.unmountBusy(record.target, error);
      throw error;
    }
  }
  failpoint("store.unmount/overlay-unmounted");
  const mounted = await mountedSet();
  const below = [
    ...(record.writable.kind === "tmpfs" ? [record.writable.tmpfs] : []),
    ...record.layers.map((l) => l.mountPoint).reverse(),
  ];
  for (const point of below) if (mounted.has(point)) await unmount(point, options);
  // rmdir, never a recursive rm: a directory that is somehow still a mount point must not be emptied.
  const dir = path.join(mountsDir(runDir), record.id);
  for (const name of await readdirIfPresent(dir)) await rmdirIfPresent(path.join(dir, name));
  await rmdirIfPresent(dir);
  await fs.rm(recordFile(runDir, record.id), { force: true });
}

async function readdirIfPresent(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function rmdirIfPresent(dir: string): Promise<void> {
  try {
    await fs.rmdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Unmounts a stack the store mounted at `target`. */
export async function unmountImage(
  runDir: string,
  target: string,
  options: { lazy?: boolean } = {},
): Promise<MountRecord> {
  const record = await readMountRecord(runDir, mountId(target));
  if (record === undefined) throw StoreErrors.notMounted(path.resolve(target));
  await undoMount(runDir, record, options);
  return record;
}

export interface CleanupReport {
  /** Records whose mounts were undone: crashed mid-mount, or the overlay was unmounted by hand. */
  readonly cleaned: MountRecord[];
  /** Records of stacks that are still mounted and left alone. */
  readonly active: MountRecord[];
}

/**
 * Undoes stale mount records of this store: a record still "mounting" (its writer died: the caller
 * holds the store lock, so no live mount is in progress) or one whose overlay is gone.
 */
export async function cleanupMounts(runDir: string, storeRoot: string): Promise<CleanupReport> {
  const cleaned: MountRecord[] = [];
  const active: MountRecord[] = [];
  const mounted = await mountedSet();
  for (const record of await readMountRecords(runDir)) {
    if (record.store !== storeRoot) continue;
    if (record.state === "mounted" && mounted.has(record.target)) {
      active.push(record);
      continue;
    }
    await undoMount(runDir, record);
    cleaned.push(record);
  }
  return { cleaned, active };
}
